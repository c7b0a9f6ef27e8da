// Imported first by the local entry points: the SDK warns about Node 20 when its modules load, before any code of
// ours could set this.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
export {};
