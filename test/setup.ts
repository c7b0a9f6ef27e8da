// Shared by every test file: keep SDK output quiet and deterministic.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_DEV ??= 'false';
import '../local/promise-shim';
import fc from 'fast-check';

// Property tests run the same cases on every CI run, so a red build always reproduces; explore new cases locally
// with FC_SEED=<n> (fast-check prints the seed of any failure it finds).
fc.configureGlobal({ seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261129 });
