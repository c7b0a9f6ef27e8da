/**
 * `audit-archiver reconcile`: finds checks whose workflow was started but ended without a record, and redrives or
 * restarts them (lambdas/operations/reconcile.ts). Works against AWS (the stack's outputs StateMachineArns and
 * RecordsTableName) and against local endpoints (the local Step Functions service and dynalite).
 *
 * Two ways in: `reconcileCommand` for the CLI's command registry, and `runReconcile(args, io)` standalone.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { PROVIDERS, type ProviderName } from '../../../lambdas/checks/check-status';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '../../../lambdas/records/record-store';
import { formatReport, listParked, reconcile, type ReconcileReport } from '../../../lambdas/operations/reconcile';
import { LOCAL_CREDENTIALS } from '../../../local/emulators';
import { EXIT, type CliCommand, type CliIo, type OptionSpecs, type OptionValues } from '../command';

export const RECONCILE_OPTIONS = {
  'state-machines': { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  parked: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'retry-failed': { type: 'boolean' },
  'sfn-endpoint': { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

export const RECONCILE_HELP = `audit-archiver reconcile [options]

Looks at the open checks that are due (started and not recorded, escalations under review, error records worth a
retry: the records table's open-checks index, not a listing of executions) and recovers the ones whose execution
ended without a final record: RedriveExecution when Step Functions allows it, otherwise a new execution named
{provider}-{checkRef}-r{n} with the same input. A check whose execution still runs is never started twice. What
cannot be recovered is parked (listed with --parked). The stack runs this every 5 minutes; running it by hand too
is harmless (each check is claimed by one run). Reports name checks by provider and checkRef only.

Options:
  --state-machines JSON     each provider's workflow, {"liveness":ARN,"kyc":ARN,"verification":ARN}
                            (stack output StateMachineArns; env STATE_MACHINE_ARNS)
  --table NAME              the records table (stack output RecordsTableName; env AUDIT_ARCHIVER_TABLE or TABLE_NAME)
  --region REGION --profile P  as for the AWS CLI
  --dry-run                 report what would be done, change nothing
  --retry-failed            also retry error records past their retry window or retries (after fixing the cause)
  --parked                  list the checks reconcile could not recover, and stop
  --sfn-endpoint URL        local Step Functions service (or AWS_ENDPOINT_URL_SFN)
  --dynamodb-endpoint URL   local DynamoDB, e.g. dynalite (or AWS_ENDPOINT_URL_DYNAMODB)
  --json                    the report as JSON

Exit codes: 0 nothing left unrecovered, 1 a check could not be recovered, 2 bad arguments, 4 AWS unreachable or
refused (credentials, permissions, unknown state machine or table).`;

export interface ReconcileSettings {
  stateMachineArns: Record<ProviderName, string>;
  tableName: string;
  region?: string;
  profile?: string;
  parked: boolean;
  dryRun: boolean;
  retryFailed: boolean;
  sfnEndpoint?: string;
  dynamoEndpoint?: string;
  json: boolean;
}

/** Bad arguments: exit code 2 with the message. */
export class ReconcileUsageError extends Error {
  override readonly name = 'ReconcileUsageError';
}

export function settingsFrom(values: OptionValues, env: CliIo['env'], now: Date): ReconcileSettings {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const stateMachines = text('state-machines') ?? (env.STATE_MACHINE_ARNS || undefined);
  const tableName = text('table') ?? (env.AUDIT_ARCHIVER_TABLE || env.TABLE_NAME || undefined);
  if (!stateMachines) throw new ReconcileUsageError('--state-machines (or STATE_MACHINE_ARNS) is required');
  const stateMachineArns = stateMachineArnsOf(stateMachines);
  if (!tableName) throw new ReconcileUsageError('--table (or AUDIT_ARCHIVER_TABLE) is required');
  const region = text('region');
  const profile = text('profile');
  const sfnEndpoint = text('sfn-endpoint');
  const dynamoEndpoint = text('dynamodb-endpoint');
  return {
    stateMachineArns,
    tableName,
    ...(region !== undefined && { region }),
    ...(profile !== undefined && { profile }),
    parked: values.parked === true,
    dryRun: values['dry-run'] === true,
    retryFailed: values['retry-failed'] === true,
    ...(sfnEndpoint !== undefined && { sfnEndpoint }),
    ...(dynamoEndpoint !== undefined && { dynamoEndpoint }),
    json: values.json === true,
  };
}

/** The stack output StateMachineArns: a JSON object with a state machine ARN for every provider. */
function stateMachineArnsOf(text: string): Record<ProviderName, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReconcileUsageError('--state-machines must be JSON (the stack output StateMachineArns)');
  }
  const arns = z.record(z.enum(PROVIDERS), z.string().regex(/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/)).safeParse(parsed);
  if (!arns.success) throw new ReconcileUsageError(`--state-machines needs a state machine ARN for each of ${PROVIDERS.join(', ')}`);
  return arns.data;
}

export interface ReconcileClients {
  sfn: Pick<SFNClient, 'send'>;
  dynamo: Pick<DynamoDBDocumentClient, 'send'>;
  close(): void;
}

/** SDK clients for the settings; local endpoints get the emulators' static credentials (never real ones). */
export function clientsFor(settings: ReconcileSettings): ReconcileClients {
  const { region, profile } = settings;
  const sfn = new SFNClient({
    ...(region !== undefined && { region }),
    ...(profile !== undefined && { profile }),
    ...(settings.sfnEndpoint !== undefined && { endpoint: settings.sfnEndpoint, region: region ?? 'us-east-1', credentials: LOCAL_CREDENTIALS }),
  });
  const dynamo = settings.dynamoEndpoint
    ? createDynamoDocumentClient({ endpoint: settings.dynamoEndpoint, credentials: LOCAL_CREDENTIALS, ...(region !== undefined && { region }) })
    : DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...(region !== undefined && { region }), ...(profile !== undefined && { profile }) }),
        { marshallOptions: { removeUndefinedValues: true } },
      );
  return {
    sfn,
    dynamo,
    close: () => {
      sfn.destroy();
      dynamo.destroy();
    },
  };
}

/** Runs reconcile and prints its report. Exit 0, or 1 when a check could not be recovered; 4 on AWS errors. */
export async function executeReconcile(
  settings: ReconcileSettings,
  io: CliIo,
  options: { now?: Date; clients?: ReconcileClients } = {},
): Promise<number> {
  const clients = options.clients ?? clientsFor(settings);
  let report: ReconcileReport;
  try {
    if (settings.parked) {
      const parked = await listParked({ dynamo: clients.dynamo, tableName: settings.tableName });
      io.stdout.write(
        settings.json
          ? `${JSON.stringify(parked, null, 2)}\n`
          : `${[`parked checks: ${parked.length}`, ...parked.map((p) => `  ${p.provider} ${p.checkRef} ${p.status} parked ${p.parkedAt}`)].join('\n')}\n`,
      );
      return parked.length > 0 ? EXIT.failed : EXIT.ok;
    }
    report = await reconcile({
      sfn: clients.sfn,
      dynamo: clients.dynamo,
      tableName: settings.tableName,
      stateMachineArns: settings.stateMachineArns,
      now: options.now ?? new Date(),
      restart: !settings.dryRun,
      retryFailed: settings.retryFailed,
    });
  } catch (error) {
    // The error's name and HTTP status only: SDK messages can quote request values.
    const name = (error as { name?: unknown })?.name;
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    const code = (error as { code?: unknown })?.code;
    const detail = status ? ` (HTTP ${status})` : typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? ` (${code})` : '';
    io.stderr.write(`reconcile failed: ${typeof name === 'string' ? name : 'UnknownError'}${detail}\n`);
    return EXIT.error;
  } finally {
    if (!options.clients) clients.close();
  }
  io.stdout.write(settings.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report).join('\n')}\n`);
  return report.failed + report.parked > 0 ? EXIT.failed : EXIT.ok;
}

/** Standalone entry: `args` are the words after `reconcile`. */
export async function runReconcile(args: string[], io: CliIo): Promise<number> {
  let values: OptionValues;
  try {
    ({ values } = parseArgs({ args, options: RECONCILE_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${RECONCILE_HELP}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(`${RECONCILE_HELP}\n`);
    return EXIT.ok;
  }
  return runWith(values, io);
}

async function runWith(values: OptionValues, io: CliIo, json?: boolean): Promise<number> {
  const now = new Date();
  let settings: ReconcileSettings;
  try {
    settings = settingsFrom(values, io.env, now);
  } catch (error) {
    if (!(error instanceof ReconcileUsageError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  return executeReconcile(json ? { ...settings, json } : settings, io, { now });
}

/** For the CLI's command registry (bin/cli): the runner parses these options; `--format json` works as `--json`. */
export const reconcileCommand: CliCommand = {
  name: 'reconcile',
  summary: 'Recover open checks whose workflow ended without a final record (redrive, restart, retry)',
  help: RECONCILE_HELP,
  // The runner's global options already give --table, --region, --profile, --json and --help.
  options: Object.fromEntries(
    Object.entries(RECONCILE_OPTIONS).filter(([name]) => !['table', 'region', 'profile', 'json', 'help'].includes(name)),
  ),
  positionals: [0, 0],
  run: (ctx) => runWith(ctx.values, ctx.io, ctx.format === 'json' || ctx.values.json === true),
};
