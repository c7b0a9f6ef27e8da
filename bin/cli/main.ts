/**
 * The `audit-archiver` command line: `audit-archiver <command> [arguments] [options]`. Parses the global options
 * (target, output format) with the command's own, runs it, closes the target, and maps errors to exit codes (EXIT).
 */
import { parseArgs } from 'node:util';
import { StorageRejectedError, StorageUnavailableError } from '../../lambdas/common/storage-errors';
import {
  ExportTargetExistsError,
  InvalidQueryError,
  LegalHoldIncompleteError,
  RecordNotFoundError,
  VerificationFailedError,
} from '../../lambdas/audit';
import { ConfigurationError } from '../../lambdas/common/errors';
import { InvalidRetentionRequestError } from '../../lambdas/retention/relationship';
import { EXIT, type CliCommand, type CliIo, type CommandContext, type OptionSpecs, type OutputFormat } from './command';
import { COMMANDS } from './commands';
import { warn } from './output';
import { TARGET_HELP, TARGET_OPTIONS, openTarget, type AuditTarget } from './target';

const FORMAT_OPTIONS: OptionSpecs = {
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface RunOptions {
  /** Tests: the archive to use instead of the one the options name. */
  openTarget?: typeof openTarget;
  commands?: readonly CliCommand[];
}

export async function runCli(argv: readonly string[], io: CliIo, options: RunOptions = {}): Promise<number> {
  const commands = options.commands ?? COMMANDS;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(`${topic ? commandHelp(topic) : overview(commands)}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    warn(io, `unknown command "${name.slice(0, 40)}": one of ${commands.map((c) => c.name).join(', ')} (audit-archiver --help)`);
    return EXIT.usage;
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...TARGET_OPTIONS, ...FORMAT_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    warn(io, `${(error as Error).message}\n\n${commandHelp(command)}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  const [min, max] = command.positionals;
  if (positionals.length < min || positionals.length > max) {
    warn(io, `${command.name}: expected ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${positionals.length}\n\n${commandHelp(command)}`);
    return EXIT.usage;
  }
  if (values.json && values.csv) {
    warn(io, 'choose --json or --csv');
    return EXIT.usage;
  }
  const format: OutputFormat = values.json ? 'json' : values.csv ? 'csv' : 'table';

  let target: AuditTarget | undefined;
  const open = options.openTarget ?? openTarget;
  const ctx: CommandContext = {
    io,
    values,
    positionals,
    format,
    async target() {
      target ??= await open(values, io);
      return target;
    },
  };
  try {
    return await command.run(ctx);
  } catch (error) {
    return reportError(io, error);
  } finally {
    await target?.close();
  }
}

function reportError(io: CliIo, error: unknown): number {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof InvalidQueryError || error instanceof ExportTargetExistsError || error instanceof InvalidRetentionRequestError) {
    warn(io, `error: ${message}`);
    return EXIT.usage;
  }
  if (error instanceof RecordNotFoundError) {
    warn(io, `not found: ${message}`);
    return EXIT.notFound;
  }
  if (error instanceof VerificationFailedError || error instanceof LegalHoldIncompleteError) {
    warn(io, `FAILED: ${message}`);
    return EXIT.failed;
  }
  if (error instanceof ConfigurationError || error instanceof StorageRejectedError || error instanceof StorageUnavailableError) {
    warn(io, `error: ${message}`);
    return EXIT.error;
  }
  // SDK errors that escaped the core (credentials, region): name and message, no stack.
  warn(io, `error: ${(error as Error)?.name ?? 'Error'}: ${message}`);
  return EXIT.error;
}

function overview(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `audit-archiver — read, verify and export the check archive

Usage: audit-archiver <command> [arguments] [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options for every command:
  --json | --csv               machine-readable output instead of a table
  -h, --help                   help for a command
${TARGET_HELP}

Exit codes: 0 ok, 1 verification failed / export refused / hold incomplete, 2 bad arguments,
3 no such check (or past its retention), 4 the archive could not be read.`;
}

function commandHelp(command: CliCommand): string {
  return `${command.help}\n\n${TARGET_HELP}\n  --json | --csv               machine-readable output`;
}
