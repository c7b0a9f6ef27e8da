/**
 * What a CLI command is: a name, its help, its own options (node:util parseArgs syntax) and a run function. The
 * runner (main.ts) parses the global and command options together, opens the target lazily and maps errors to exit
 * codes; commands only read arguments, call the auditor core and print.
 */
import type { CliIo, OptionSpecs, OptionValues } from './io';
import type { AuditTarget } from './target';

export type { CliIo, OptionSpecs, OptionValues, OutputStream } from './io';
export { stringValue } from './io';

/** Exit codes, documented in the help text. */
export const EXIT = {
  ok: 0,
  /** Verification found a mismatch or missing object; export refused; hold incomplete. */
  failed: 1,
  /** Bad arguments or filters. */
  usage: 2,
  /** No such check (or past its retention). */
  notFound: 3,
  /** The archive could not be reached or read (configuration, credentials, AWS). */
  error: 4,
} as const;

/** For the commands that accept a checkRef prefix (findRecord's `prefix` option). */
export const CHECK_REF_PREFIX_HELP = `A unique prefix of the checkRef also works, as in git: at least 8 characters, such as the 12 that
\`npm start\` prints. An ambiguous prefix lists the checkRefs it matches (exit 2). A prefix is resolved by scanning
the records table: on a deployed stack a full checkRef is faster, and needs no dynamodb:Scan permission.`;

export type OutputFormat = 'table' | 'json' | 'csv';

export interface CommandContext {
  io: CliIo;
  values: OptionValues;
  positionals: string[];
  format: OutputFormat;
  /** Opens the archive named by the global options (once; the runner closes it). */
  target(): Promise<AuditTarget>;
}

export interface CliCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Synopsis and details for `<command> --help`. */
  help: string;
  options?: OptionSpecs;
  /** Positional arguments accepted: [min, max]. */
  positionals: [number, number];
  run(ctx: CommandContext): Promise<number>;
}
