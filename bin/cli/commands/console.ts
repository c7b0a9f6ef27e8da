/**
 * `console [--port N]`: the auditor console, a local web page on 127.0.0.1 to search checks, look at one (its
 * images, boxes and answer), export and verify, built on the same core as the other commands and reading with the
 * same target and credentials. Runs until interrupted (Ctrl-C); one audit event per request on stderr, or in a file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { InvalidQueryError, MAX_URL_EXPIRY_SECONDS } from '../../../lambdas/audit';
import type { CallerOptions } from '../console/caller';
import { EXIT, stringValue, type CliCommand } from '../command';
import { println } from '../output';

/** Resolves on the first SIGINT or SIGTERM (listeners removed afterwards, so a second Ctrl-C still stops node). */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export interface ConsoleCommandOptions {
  /** Tests: how the caller is found (no AWS call), and when to stop. */
  caller?: CallerOptions;
  stop?: () => Promise<void>;
}

export function makeConsoleCommand(options: ConsoleCommandOptions = {}): CliCommand {
  return {
    name: 'console',
    summary: 'a local web page to find, view, export and verify checks (127.0.0.1 only)',
    help: `Usage: audit-archiver console [--port N] [--expires SECONDS] [--audit-log FILE]

Serves the auditor console on http://127.0.0.1:PORT and prints its URL, with a token that is valid for this run
only: open it in your browser. The page reads the archive through this process (your AWS credentials, or the local
archive), talks only to it, and refuses requests from other sites, other host names and without the token. Runs
until Ctrl-C.
  --port N                     listen on this port (default: any free port)
  --expires SECONDS            lifetime of the image links the pages carry (default 300, at most ${MAX_URL_EXPIRY_SECONDS})
  --audit-log FILE             append the audit events (one JSON line per request: who read which check) to FILE
                               instead of stderr`,
    options: { port: { type: 'string' }, expires: { type: 'string' }, 'audit-log': { type: 'string' } },
    positionals: [0, 0],
    async run(ctx) {
      const portText = stringValue(ctx.values, 'port') ?? '0';
      const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 0 && port <= 65535)) throw new InvalidQueryError('--port must be a port number (1-65535), or 0 for any free port');
      const expiresText = stringValue(ctx.values, 'expires');
      const expiresIn = expiresText === undefined ? undefined : Number(expiresText);
      if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn >= 1 && expiresIn <= MAX_URL_EXPIRY_SECONDS)) {
        throw new InvalidQueryError(`--expires must be a whole number of seconds from 1 to ${MAX_URL_EXPIRY_SECONDS}`);
      }
      // Loaded here, not with the CLI: the other commands need neither the server nor the STS client.
      const [{ jsonLinesAuditLog }, { callerOf }, { startConsole }] = await Promise.all([
        import('../console/audit-log'),
        import('../console/caller'),
        import('../console/server'),
      ]);
      const target = await ctx.target();
      const region = stringValue(ctx.values, 'region');
      const profile = stringValue(ctx.values, 'profile');
      const caller = await callerOf(target.kind, { ...(region ? { region } : {}), ...(profile ? { profile } : {}), ...options.caller });

      const auditPath = stringValue(ctx.values, 'audit-log');
      let file: WriteStream | undefined;
      if (auditPath) {
        file = createWriteStream(auditPath, { flags: 'a', mode: 0o600 });
        await once(file, 'open');
      }
      const running = await startConsole({
        deps: target.deps,
        targetLabel: target.label,
        caller,
        auditLog: jsonLinesAuditLog(file ?? ctx.io.stderr),
        port,
        ...(expiresIn !== undefined ? { expiresIn } : {}),
      });
      try {
        println(ctx.io, `audit-archiver console for ${target.label}, as ${caller.userArn}${caller.osUser ? ` (${caller.osUser})` : ''}`);
        println(ctx.io, `open: ${running.url}`);
        println(ctx.io, 'This URL works for this run only. Ctrl-C stops the console.');
        await (options.stop ?? interrupted)();
      } finally {
        await running.close();
        if (file) await new Promise<void>((resolve) => file!.end(() => resolve()));
      }
      println(ctx.io, 'console stopped');
      return EXIT.ok;
    },
  };
}

export const consoleCommand = makeConsoleCommand();
