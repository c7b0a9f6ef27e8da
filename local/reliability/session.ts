/**
 * One local stack (one per process: the handlers read their environment at import) running reliability scenarios
 * one after another. For each scenario: the checks are scripted at the fake providers, their events delivered (some
 * more than once, some broken), executions started by hand with malformed states, crashed executions re-run; then the
 * invariant checker runs over the whole archive (every check so far: exactly one truthful record, no orphan, no
 * duplicate, every sha256 matching) and every log line written meanwhile is searched for the run's secrets.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedriveExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import type { CheckRecord } from '../../lambdas/records/record';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../emulators';
import type { CreatedCheck } from '../fake-providers';
import { checkInvariants, type ExpectedCheck } from '../invariants';
import { startLocalStack, type LocalStack, type SubmitResult } from '../local-stack';
import { classifyViolations, type ScenarioFigures } from './figures';
import { captureOutput, type LogCapture } from './log-capture';
import { faultsOf, type PlannedCheck, type Scenario } from './plan';
import { SecretRegistry, collectAnswerSecrets, type Leak } from './secrets';
import { installStorageFaults, type StorageFaults } from './storage-faults';

export interface SessionOptions {
  /** Wait states and retry pauses this many times faster than real time. @default 100 */
  timeFactor?: number;
  /** Inject S3/DynamoDB faults (aws-sdk-client-mock in this process). Needed by checks with a `storage` fault. */
  storageFaults?: boolean;
  /** Also print what is captured. */
  echo?: boolean;
  /** Answers per provider read back to learn their personal data and image bytes. @default 6 */
  secretSamples?: number;
  /** Writes every captured line here on close (for a look at what was logged). @default $RELIABILITY_LOG_FILE */
  logFile?: string;
}

export interface Session {
  stack: LocalStack;
  /** Runs one scenario and checks the whole archive afterwards. */
  run(scenario: Scenario): Promise<ScenarioFigures>;
  /** Every line captured so far searched again with every secret learnt (a later secret in an earlier line too). */
  leaks(): Leak[];
  capturedLines(): number;
  storageFaults?: StorageFaults;
  close(): Promise<void>;
}

interface Entry {
  check: PlannedCheck;
  created: CreatedCheck;
  provider: CreatedCheck['provider'];
  checkId: string;
  checkRef: string;
}

export async function startSession(options: SessionOptions = {}): Promise<Session> {
  const capture: LogCapture = captureOutput({ echo: options.echo ?? false });
  const dataDir = await mkdtemp(join(tmpdir(), 'issue6-reliability-'));
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ dataDir, timeFactor: options.timeFactor ?? 100, logLevel: 'DEBUG' });
  } catch (error) {
    capture.stop();
    throw error;
  }
  const storage = options.storageFaults ? installStorageFaults() : undefined;
  const fake = stack.fakeProviders;
  if (!fake) throw new Error('reliability scenarios need the fake providers (unset the providers\' URL variables)');
  const sfn = new SFNClient({ endpoint: stack.stepFunctions.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const secrets = new SecretRegistry();
  secrets.addCredentials(fake.credentials);
  const expected: ExpectedCheck[] = [];
  let executionsSoFar = 0;
  let objectsSoFar = 0;
  let bytesSoFar = 0;
  let scenarioCount = 0;

  async function run(scenario: Scenario): Promise<ScenarioFigures> {
    scenarioCount += 1;
    const startedAt = performance.now();
    const mark = capture.mark();
    const violations: string[] = [];
    const entries = scenario.checks.map((check) => enter(check));
    let events = 0;
    const deliver = async (entry: Entry, allowed: SubmitResult['status'][], what: string) => {
      events += 1;
      const result = await stack.submit(envelope(detailOf(entry)));
      if (!allowed.includes(result.status)) violations.push(`${entry.check.label}: ${what} delivery ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
    };

    for (const entry of entries) await deliver(entry, ['started'], 'first');
    // The second delivery races the running workflow (StartExecution is idempotent for the same name and input).
    for (const entry of entries) if ((entry.check.deliveries ?? 1) >= 2) await deliver(entry, ['started', 'duplicate'], 'second');
    for (const invalid of scenario.invalidEvents ?? []) {
      events += 1;
      if (invalid.secret) secrets.add('liveness token', invalid.secret);
      const result = await stack.submit(invalid.event);
      if (result.status !== 'invalid') violations.push(`${invalid.label}: ${result.status}, expected invalid`);
    }
    const malformed = scenario.malformedStates ?? [];
    for (const [i, state] of malformed.entries()) {
      if (state.salvage) {
        secrets.add(state.salvage.provider === 'liveness' ? 'liveness token' : 'check id', state.salvage.checkId);
        expected.push({ provider: state.salvage.provider, checkRef: checkRefOf(stack.identifierKey, state.salvage.provider, state.salvage.checkId), status: 'error' });
      }
      const name = `malformed-${scenarioCount}-${i}-${randomUUID().slice(0, 8)}`;
      // A malformed state that names a check runs on that check's provider's workflow, as the start function would.
      const stateMachineArn = state.salvage ? stack.stateMachineArns[state.salvage.provider] : stack.stepFunctions.stateMachineArn;
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(state.input) }));
    }
    await stack.stepFunctions.idle();

    // Later deliveries find the workflow finished: refused as duplicates, no second run.
    for (const entry of entries) {
      for (let n = 3; n <= (entry.check.deliveries ?? 1); n++) await deliver(entry, ['duplicate'], `late (#${n})`);
    }
    await stack.stepFunctions.idle();

    for (const entry of entries) expected.push({ provider: entry.provider, checkRef: entry.checkRef, status: entry.check.expect });

    const { reruns, orphansBeforeRerun } = await rerunCrashed(entries);

    const records = await stack.records();
    const report = await invariants(records);
    violations.push(...report.violations);

    const executions = stack.stepFunctions.executions();
    const workflows = executions.length - executionsSoFar;
    executionsSoFar = executions.length;
    if (workflows !== entries.length + malformed.length) {
      violations.push(`extra workflow: ${workflows} executions for ${entries.length} checks and ${malformed.length} hand-started states`);
    }

    await collectAnswerSecrets(fake!, entries.map((entry) => entry.created), secrets, options.secretSamples ?? 6);
    const leaks = [
      ...secrets.scanLines(capture.linesSince(mark)),
      ...secrets.scan([{ where: 'dead letters', text: await readFile(join(dataDir, 'dead-letters.jsonl'), 'utf8').catch(() => '') }]),
      ...tokensInRecords(records, entries),
    ];
    violations.push(...leaks.map((leak) => `leaked ${leak.kind} in ${leak.where}`));

    const { mine, statuses, missing, quarantined, kinds } = tally(records, entries);
    violations.push(...faultsNotMet(entries));
    const figures: ScenarioFigures = {
      scenario: scenario.name,
      checks: entries.length,
      events,
      workflows,
      faults: faultsOf(scenario),
      kinds,
      records: records.filter((record) => mine.has(`${record.provider}/${record.checkRef}`)).length + malformed.filter((m) => m.salvage).length,
      objects: report.objects - objectsSoFar,
      bytes: report.bytes - bytesSoFar,
      statuses,
      missing,
      quarantined,
      rejected: (scenario.invalidEvents?.length ?? 0) + malformed.length,
      ...(reruns !== undefined ? { reruns, orphansBeforeRerun: orphansBeforeRerun ?? 0 } : {}),
      ...classifyViolations(report.violations.concat(violations.filter((v) => v.startsWith('extra workflow')))),
      leaked: leaks.length,
      logLines: capture.linesSince(mark).length,
      secrets: secrets.size(),
      violations,
      seconds: Math.round((performance.now() - startedAt) / 100) / 10,
    };
    objectsSoFar = report.objects;
    bytesSoFar = report.bytes;
    return figures;
  }

  /**
   * A crash leaves objects no record lists; re-running the crashed workflows (RedriveExecution, as an operator or
   * the reconciler would) must adopt them. Counts the orphans before, for the figures.
   */
  async function rerunCrashed(entries: readonly Entry[]): Promise<{ reruns?: number; orphansBeforeRerun?: number }> {
    const crashed = entries.filter((entry) => entry.check.storage?.kind === 'crash-before-record');
    if (crashed.length === 0) return {};
    const before = await invariants();
    const orphansBeforeRerun = before.violations.filter((v) => v.startsWith('orphan object')).length;
    const byName = new Map(stack.stepFunctions.executions().map((execution) => [execution.name, execution]));
    let reruns = 0;
    for (const entry of crashed) {
      const execution = byName.get(`${entry.provider}-${entry.checkRef}`);
      if (execution?.status !== 'FAILED') continue;
      await sfn.send(new RedriveExecutionCommand({ executionArn: execution.arn }));
      reruns += 1;
    }
    await stack.stepFunctions.idle();
    return { reruns, orphansBeforeRerun };
  }

  /** A planned fault that never happened would make a green run meaningless: each must show in the stats. */
  function faultsNotMet(entries: readonly Entry[]): string[] {
    const stats = new Map(fake!.stats().checks.map((check) => [`${check.provider}/${check.checkId}`, check]));
    const problems: string[] = [];
    for (const entry of entries) {
      const script = entry.check.script;
      const faults = ('faults' in script ? script.faults : undefined) as { serverErrors?: { count: number }; rateLimited?: { count: number } } | undefined;
      const planned = (faults?.serverErrors?.count ?? 0) + (faults?.rateLimited?.count ?? 0);
      const seen = stats.get(`${entry.provider}/${entry.created.checkId}`);
      if (planned > 0 && entry.check.eventCheckId === undefined && seen && seen.requests - seen.answers < Math.min(planned, 8)) {
        problems.push(`${entry.check.label}: ${planned} fault answers planned, ${seen.requests - seen.answers} given`);
      }
      if (entry.check.storage && storage && storage.injected(entry.checkRef) === 0) problems.push(`${entry.check.label}: storage fault never injected`);
    }
    return problems;
  }

  /** Either kind of script (lifecycle or literal answers): addCheck's overloads take one kind at a time. */
  function addCheck(script: PlannedCheck['script']): CreatedCheck {
    return 'answers' in script ? fake!.addCheck(script) : fake!.addCheck(script);
  }

  function enter(check: PlannedCheck): Entry {
    const created = addCheck({ ...check.script, label: check.label.slice(0, 200) });
    const checkId = check.eventCheckId ?? created.checkId;
    const entry = { check, created, provider: created.provider, checkId, checkRef: checkRefOf(stack.identifierKey, created.provider, checkId) };
    secrets.add(created.provider === 'liveness' ? 'liveness token' : 'check id', created.checkId);
    secrets.add('check id', check.eventCheckId);
    secrets.add('client key', created.clientKey);
    if (check.script.provider === 'verification' && 'content' in check.script) secrets.addText(check.script.content);
    if (check.storage) {
      if (!storage) throw new Error(`${check.label}: a storage fault needs a session started with storageFaults`);
      storage.plan(entry.checkRef, check.storage);
    }
    return entry;
  }

  async function invariants(records?: CheckRecord[]) {
    storage?.pause();
    try {
      return await checkInvariants({
        s3: stack.emulators.s3Client(),
        bucket: stack.emulators.bucketName,
        records: records ?? (await stack.records()),
        expected,
      });
    } finally {
      storage?.resume();
    }
  }

  return {
    stack,
    run,
    leaks: () => secrets.scanLines(capture.lines()),
    capturedLines: () => capture.lines().length,
    ...(storage ? { storageFaults: storage } : {}),
    async close() {
      try {
        await stack.close();
      } finally {
        storage?.restore();
        capture.stop();
        const logFile = options.logFile ?? process.env.RELIABILITY_LOG_FILE;
        if (logFile) await writeFile(logFile, `${capture.lines().join('\n')}\n`);
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** This scenario's records by status and missing-image reason, and its checks by fault kind. */
function tally(records: readonly CheckRecord[], entries: readonly Entry[]) {
  const mine = new Set(entries.map((entry) => `${entry.provider}/${entry.checkRef}`));
  const statuses: Record<string, number> = {};
  const missing: Record<string, number> = {};
  const quarantined: Record<string, number> = {};
  for (const record of records) {
    if (!mine.has(`${record.provider}/${record.checkRef}`)) continue;
    statuses[record.status] = (statuses[record.status] ?? 0) + 1;
    for (const reason of record.imagesMissing?.reasons ?? []) missing[reason] = (missing[reason] ?? 0) + 1;
    for (const reason of record.quarantined?.reasons ?? []) quarantined[reason] = (quarantined[reason] ?? 0) + 1;
  }
  const kinds: Record<string, number> = {};
  for (const { check } of entries) for (const kind of check.kinds) kinds[kind] = (kinds[kind] ?? 0) + 1;
  return { mine, statuses, missing, quarantined, kinds };
}

function detailOf(entry: Entry): Record<string, unknown> {
  return {
    provider: entry.provider,
    checkId: entry.checkId,
    ...(entry.created.clientKey && entry.check.eventCheckId === undefined ? { clientKey: entry.created.clientKey } : {}),
  };
}

/** An EventBridge `Check Created` event around a detail. */
export function envelope(detail: unknown): Record<string, unknown> {
  return { id: randomUUID(), source: DEFAULT_EVENT_SOURCE, 'detail-type': CHECK_CREATED_DETAIL_TYPE, time: new Date().toISOString(), detail };
}

/** Records are keyed by checkRef: a liveness token (a bearer secret) in one is a leak too. */
function tokensInRecords(records: readonly CheckRecord[], entries: readonly Entry[]): Leak[] {
  const text = JSON.stringify(records);
  return entries
    .filter((entry) => entry.provider === 'liveness' && text.includes(entry.checkId))
    .map(() => ({ kind: 'liveness token' as const, where: 'records' }));
}
