import { fileURLToPath } from 'node:url';

/** The repository root (lambda entries, package-lock.json and cdk.json are resolved from here). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
