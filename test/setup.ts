// Shared by every test file: keep SDK output quiet and deterministic.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_DEV ??= 'false';
import '../lib/local/promise-shim';
