/**
 * `npx audit-archiver <command>` / `npm run audit -- <command>`: the auditor CLI (bin/cli/main.ts). Exit codes are
 * listed in `audit-archiver --help`.
 */
import { runCli } from './cli/main';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function fail(error: unknown): void {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  // dynalite's LevelDB admits one process, and reports the lock only as this error, outside any request.
  const hint = message === 'Database is closed' ? ' — the local archive is open in another process (is `npm start` still running?)' : '';
  process.stderr.write(`audit-archiver failed: ${name ?? 'Error'}: ${message ?? String(error)}${hint}\n`);
  process.exit(4);
}
process.on('uncaughtException', fail);

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
  process.exitCode = code;
}, fail);
