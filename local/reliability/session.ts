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
import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { auditDeps } from '../../lambdas/audit/deps';
import { fixedIdentifierKey } from '../../lambdas/common/identifier-key';
import { verifyCheck } from '../../lambdas/audit/verify';
import { reconcile } from '../../lambdas/operations/reconcile';
import { startedItemOf } from '../../lambdas/records/open-checks';
import { checkRefOf } from '../../lambdas/checks/check-ref';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_EVENT_SOURCE } from '../../lambdas/events/check-created';
import { restartNameOf } from '../../lambdas/operations/execution-names';
import type { CheckRecord } from '../../lambdas/records/record';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../emulators';
import type { CreatedCheck } from '../fake-providers';
import { checkInvariants, type ExpectedCheck } from '../invariants';
import { startLocalStack, type LocalStack, type LocalStackOptions, type SubmitResult } from '../local-stack';
import { classifyViolations, type ScenarioFigures } from './figures';
import { captureOutput, type LogCapture } from './log-capture';
import { SUITE_TIME_FACTOR, faultsOf, type PlannedCheck, type ReconcileRound, type Scenario } from './plan';
import { SecretRegistry, collectAnswerSecrets, type Leak } from './secrets';
import { installStorageFaults, type StorageFaults } from './storage-faults';

export interface SessionOptions {
  /** Wait states and retry pauses this many times faster than real time. @default SUITE_TIME_FACTOR (100) */
  timeFactor?: number;
  /** Inject S3/DynamoDB faults (aws-sdk-client-mock in this process). Needed by checks with a `storage` fault. */
  storageFaults?: boolean;
  /** Also print what is captured. */
  echo?: boolean;
  /** Answers per provider read back to learn their personal data and image bytes. @default 6 */
  secretSamples?: number;
  /** Writes every captured line here on close (for a look at what was logged). @default $RELIABILITY_LOG_FILE */
  logFile?: string;
  /** The local start path's limits: StartExecution's token bucket, the start queue's batches at once. */
  stack?: Pick<LocalStackOptions, 'stepFunctions' | 'startQueue'>;
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
    stack = await startLocalStack({ dataDir, timeFactor: options.timeFactor ?? SUITE_TIME_FACTOR, logLevel: 'DEBUG', ...options.stack });
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

    const throttlesBefore = stack.stepFunctions.startThrottles();
    const lettersBefore = (await stack.deadLetters()).length;
    // A burst: every first event on the start queue at once; the queue holds what the start path cannot take yet.
    // A message whose receive outlasts its visibility timeout (waiting out throttling) is received again meanwhile:
    // either receive may report first, the other finding the workflow started ('duplicate'). One workflow per check
    // is checked below.
    if (scenario.burst) await Promise.all(entries.map((entry) => deliver(entry, ['started', 'duplicate'], 'first')));
    else
      for (const entry of entries) {
        await deliver(entry, ['started'], 'first');
        if (entry.check.stoppedWhilePolling) await stopWhilePolling(entry);
      }
    const concurrentRuns = await startConcurrentRuns(entries);
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

    // With a reconcile round, reconcile is what recovers the crashed checks.
    const { reruns, orphansBeforeRerun } = scenario.reconcile ? {} : await rerunCrashed(entries);
    const reconciled = scenario.reconcile ? await reconcileAtVolume(scenario.reconcile, entries, violations) : undefined;

    const records = await stack.records();
    const report = await invariants(records);
    violations.push(...report.violations);

    const executions = stack.stepFunctions.executions();
    const workflows = executions.length - executionsSoFar;
    executionsSoFar = executions.length;
    const extraRuns = (reruns ?? 0) + concurrentRuns + (reconciled?.startedExecutions ?? 0);
    if (workflows !== entries.length + malformed.length + extraRuns) {
      violations.push(`extra workflow: ${workflows} executions for ${entries.length} checks, ${malformed.length} hand-started states and ${extraRuns} re-runs`);
    }
    const verified = await verifyRecords(records, entries, violations);

    await collectAnswerSecrets(fake!, entries.map((entry) => entry.created), secrets, options.secretSamples ?? 6);
    const leaks = [
      ...secrets.scanLines(capture.linesSince(mark)),
      ...secrets.scan([{ where: 'dead letters', text: await readFile(join(dataDir, 'dead-letters.jsonl'), 'utf8').catch(() => '') }]),
      ...tokensInRecords(records, entries),
    ];
    violations.push(...leaks.map((leak) => `leaked ${leak.kind} in ${leak.where}`));

    const startThrottles = stack.stepFunctions.startThrottles() - throttlesBefore;
    const deadLettered = (await stack.deadLetters()).length - lettersBefore;
    const { queued } = await stack.startQueue.depth();
    if (queued > 0) violations.push(`the start queue did not drain: ${queued} events left`);
    const { mine, statuses, missing, quarantined, kinds } = tally(records, entries);
    violations.push(...faultsNotMet(entries));
    const figures: ScenarioFigures = {
      scenario: scenario.name,
      checks: entries.length,
      events,
      workflows,
      // StartExecution calls the bucket refused are faults the scenario met, as a provider's 5xx answers are.
      faults: faultsOf(scenario) + startThrottles,
      ...(startThrottles > 0 ? { startThrottles } : {}),
      deadLettered,
      kinds,
      records: records.filter((record) => mine.has(`${record.provider}/${record.checkRef}`)).length + malformed.filter((m) => m.salvage).length,
      objects: report.objects - objectsSoFar,
      bytes: report.bytes - bytesSoFar,
      statuses,
      missing,
      quarantined,
      rejected: (scenario.invalidEvents?.length ?? 0) + malformed.length,
      ...(reruns !== undefined ? { reruns, orphansBeforeRerun: orphansBeforeRerun ?? 0 } : {}),
      ...(concurrentRuns > 0 || reconciled ? { recovery: { concurrentRuns, ...(reconciled?.figures ?? { reconcileRuns: 0, redriven: 0, retried: 0, restarted: 0, notDue: 0 }) } } : {}),
      verified,
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
   * A crash leaves objects no record lists; re-running the crashed workflows must adopt them. The crashed archive
   * step's failure path wrote an `error` record and the execution ended at its Fail state, where a redrive would
   * resume and fail again (as on AWS): reconcile retries an error record with a new execution, `{name}-r1` with the
   * same input, and so does this. Counts the orphans before, for the figures.
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
      const name = restartNameOf({ provider: entry.provider, checkRef: entry.checkRef }, 1);
      await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.stateMachineArns[entry.provider], name, input: execution.input }));
      reruns += 1;
    }
    await stack.stepFunctions.idle();
    return { reruns, orphansBeforeRerun };
  }

  /**
   * Two runs of one check at once: beside each first execution, `concurrentRuns` more under a restart's name with the
   * same input, started while the first runs. Returns how many were started.
   */
  async function startConcurrentRuns(entries: readonly Entry[]): Promise<number> {
    let started = 0;
    for (const entry of entries) {
      if (!entry.check.concurrentRuns) continue;
      const first = firstExecution(entry);
      for (let n = 1; n <= entry.check.concurrentRuns; n++) {
        const name = restartNameOf({ provider: entry.provider, checkRef: entry.checkRef }, n);
        await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.stateMachineArns[entry.provider], name, input: first.input }));
        started += 1;
      }
    }
    return started;
  }

  /** Stops the check's execution right after its start: it dies while polling, before anything is recorded. */
  async function stopWhilePolling(entry: Entry): Promise<void> {
    const first = firstExecution(entry);
    if (first.status !== 'RUNNING') throw new Error(`${entry.check.label}: its workflow ended before it could be stopped (script it to poll longer)`);
    await sfn.send(new StopExecutionCommand({ executionArn: first.arn, error: 'Reliability', cause: 'stopped while polling' }));
  }

  function firstExecution(entry: Entry) {
    const name = `${entry.provider}-${entry.checkRef}`;
    const found = stack.stepFunctions.executions().find((execution) => execution.name === name);
    if (!found) throw new Error(`${entry.check.label}: no execution ${name}`);
    return found;
  }

  /**
   * Reconcile at volume: `notDue` open items that are not due yet are written beside the scenario's checks, then the
   * real reconcile runs over the table (the open-checks index, `pageSize` a page), each run stopping after
   * `checksPerRun` checks as its time budget would, run after run until nothing is due. Every check it finds must be
   * acted on exactly once, and none that is not due may be read.
   */
  async function reconcileAtVolume(round: ReconcileRound, entries: readonly Entry[], violations: string[]) {
    const dynamo = stack.emulators.dynamoClient();
    const tableName = stack.emulators.tableName;
    const now = new Date();
    const notDue = Array.from({ length: round.notDue }, (_, i) =>
      startedItemOf({ provider: 'kyc', checkRef: createHash('sha256').update(`not-due-${scenarioCount}-${i}`).digest('hex').slice(0, 32), createdAt: now.toISOString(), executionName: `kyc-not-due-${i}`, startId: 'not-due', now }),
    ).map((item) => ({ ...item, reconcileAt: new Date(now.getTime() + 30 * 86_400_000).toISOString() }));
    for (const item of notDue) await dynamo.send(new PutCommand({ TableName: tableName, Item: item }));

    // Past every check's first look (liveness 10 min, KYC and verification 30) and an error record's retry time
    // (10 min), within liveness's retry window (an hour after creation).
    const at = new Date(now.getTime() + 40 * 60_000);
    const acted = new Map<string, number>();
    const figures = { reconcileRuns: 0, redriven: 0, retried: 0, restarted: 0, notDue: round.notDue };
    let startedExecutions = 0;
    for (let run = 0; run < 100; run++) {
      // Each check looked at (one DescribeExecution) spends a share of the run's time; once spent, the run stops and
      // leaves the rest due for the next run, as a run that reached its Lambda's time would.
      let spent = 0;
      const timed = { send: ((command: unknown) => {
        if (command instanceof DescribeExecutionCommand) spent += 1;
        return sfn.send(command as never);
      }) as SFNClient['send'] };
      const report = await reconcile({
        sfn: timed,
        stateMachineArns: stack.stateMachineArns,
        dynamo,
        tableName,
        now: at,
        restart: true,
        pageSize: round.pageSize,
        concurrency: 2,
        timeLeft: () => (spent < round.checksPerRun ? Number.POSITIVE_INFINITY : 0),
      });
      figures.reconcileRuns += 1;
      for (const line of report.lines) {
        acted.set(`${line.provider}/${line.checkRef}`, (acted.get(`${line.provider}/${line.checkRef}`) ?? 0) + 1);
        if (line.action === 'failed' || line.action === 'parked') violations.push(`reconcile: ${line.provider}/${line.checkRef} ${line.action} (${line.reason ?? 'no reason'})`);
      }
      figures.redriven += report.redriven;
      figures.retried += report.retried;
      figures.restarted += report.restarted;
      startedExecutions += report.retried + report.restarted;
      if (report.due === 0 && !report.stoppedForTime) break;
    }
    await stack.stepFunctions.idle();
    if (figures.reconcileRuns < 2) violations.push('reconcile: every due check fitted in one run; the time budget was never reached');
    for (const entry of entries) {
      const open = entry.check.stoppedWhilePolling || entry.check.storage?.kind === 'crash-before-record';
      const times = acted.get(`${entry.provider}/${entry.checkRef}`) ?? 0;
      if (open && times !== 1) violations.push(`${entry.check.label}: reconcile acted on it ${times} times, expected once`);
      if (!open && times !== 0) violations.push(`${entry.check.label}: recorded, yet reconcile acted on it ${times} times`);
    }
    for (const item of notDue) {
      const { Item } = await dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: item.pk } }));
      if (Item?.reconcileAt !== item.reconcileAt || acted.has(`${item.provider}/${item.checkRef}`)) violations.push(`reconcile touched an open check that was not due`);
      await dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk } }));
    }
    return { figures, startedExecutions };
  }

  /** `verify`, as an auditor runs it, on every record of the scenario: the record's manifest is the one in S3, every object matches. */
  async function verifyRecords(records: readonly CheckRecord[], entries: readonly Entry[], violations: string[]): Promise<number> {
    const mine = new Set(entries.map((entry) => `${entry.provider}/${entry.checkRef}`));
    const deps = auditDeps({ dynamo: stack.emulators.dynamoClient(), tableName: stack.emulators.tableName, s3: stack.emulators.s3Client(), bucket: stack.emulators.bucketName, identifierKey: fixedIdentifierKey(stack.identifierKey) });
    let passed = 0;
    storage?.pause();
    try {
      for (const record of records) {
        if (!mine.has(`${record.provider}/${record.checkRef}`)) continue;
        const report = await verifyCheck(deps, record);
        if (report.ok) passed += 1;
        else violations.push(`${record.provider}/${record.checkRef}: verify found ${report.problems.map((p) => p.kind).join(', ')}`);
      }
    } finally {
      storage?.resume();
    }
    return passed;
  }

  /** A planned fault that never happened would make a green run meaningless: each must show in the stats. */
  function faultsNotMet(entries: readonly Entry[]): string[] {
    const stats = new Map(fake!.stats().checks.map((check) => [`${check.provider}/${check.checkId}`, check]));
    const problems: string[] = [];
    for (const entry of entries) {
      const script = entry.check.script;
      const faults = ('faults' in script ? script.faults : undefined) as { serverErrors?: { count: number }; rateLimited?: { count: number }; outage?: unknown } | undefined;
      const planned = (faults?.serverErrors?.count ?? 0) + (faults?.rateLimited?.count ?? 0);
      const seen = stats.get(`${entry.provider}/${entry.created.checkId}`);
      if (faults?.outage && seen && seen.requests - seen.answers === 0) problems.push(`${entry.check.label}: the provider outage met no request`);
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
