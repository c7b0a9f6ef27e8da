import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionNotRedrivable,
} from '@aws-sdk/client-sfn';
import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck, recordOutcome } from '../../../lambdas/archive/engine';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { ProviderContractError } from '../../../lambdas/common/errors';
import { StorageRejectedError } from '../../../lambdas/common/storage-errors';
import { executionNameOf } from '../../../lambdas/events/check-created';
import { startCheck, type StartDependencies } from '../../../lambdas/handlers/start';
import { parseExecutionName, restartNameOf } from '../../../lambdas/operations/execution-names';
import { formatReport, listParked, reconcile, type ReconcileReport } from '../../../lambdas/operations/reconcile';
import { openShardOf, startedItemOf } from '../../../lambdas/records/open-checks';
import { recordKeyOf } from '../../../lambdas/records/table-schema';
import { STATE, type PollOutput, type WorkflowState } from '../../../lambdas/checks/workflow-contract';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../../local/step-functions-service';
import { definitionFromTemplate } from '../../../local/workflow-definition';
import { harness, stubClient, type Harness } from '../../support/archive-harness';
import { verificationComplete } from '../../support/answers';
import { synthesize } from '../../lib/synth';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';

/** What the local task handlers do for one check (by checkId). */
interface Script {
  /** Poll provider waits for this before answering (a workflow "in flight"). */
  gate?: Promise<void>;
  pollStarted?: () => void;
  /** Archive evidence throws ProviderContractError this many times first (caught: Record failure runs). */
  archiveFailures?: number;
  /** Record failure throws StorageRejectedError (not retried: the execution fails without a record) this many times. */
  recordFailureFailures?: number;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const silentLogger = { info() {}, warn() {}, error() {} };
/** Reconcile looks at a started check this long after its start at the earliest (FIRST_LOOK_SECONDS). */
const LATER = () => new Date(Date.now() + 2 * 3_600_000);
const silentMetrics = { addMetric() {}, publishStoredMetrics() {} } as unknown as StartDependencies['metrics'];

describe('reconcile, end to end (real definition on the local Step Functions service, dynalite)', () => {
  let emulators: Emulators;
  let h: Harness;
  let local: LocalStepFunctions;
  let sfn: SFNClient;
  const scripts = new Map<string, Script>();
  const calls = new Map<string, number>();
  const count = (key: string) => {
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    return n;
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    h = harness(emulators);
    // The verification workflow's definition (each provider has its own state machine, the same states).
    const { stack, template } = synthesize();
    const definition = definitionFromTemplate(template.toJSON(), { logicalId: stack.getLogicalId(stack.workflows.verification.stateMachine.node.defaultChild as never) });
    const client = stubClient('verification', verificationComplete());
    const archive = async (state: WorkflowState) => {
      const script = scripts.get(state.check.checkId) ?? {};
      if (count(`archive:${state.check.checkId}`) <= (script.archiveFailures ?? 0)) {
        throw new ProviderContractError('provider answered outside its contract');
      }
      return archiveCheck(h.deps(client), state.check);
    };
    local = await startLocalStepFunctions({
      definition,
      timeFactor: 1000,
      taskHandlers: {
        [STATE.poll]: async (state: WorkflowState): Promise<PollOutput> => {
          const script = scripts.get(state.check.checkId) ?? {};
          script.pollStarted?.();
          await script.gate;
          return { state: 'complete', attempt: 1, firstPolledAt: '2026-03-19T10:32:00.000Z', waitSeconds: 1, providerStatus: 'completed', transientErrors: 0 };
        },
        [STATE.archive]: archive,
        [STATE.recordEscalation]: archive,
        [STATE.record]: archive,
        [STATE.recordFailure]: async (state: WorkflowState) => {
          const script = scripts.get(state.check.checkId) ?? {};
          if (count(`record-failure:${state.check.checkId}`) <= (script.recordFailureFailures ?? 0)) {
            throw new StorageRejectedError('DynamoDB PutItem refused');
          }
          return recordOutcome(h.deps(client), state.check, { kind: 'failed', error: state.error ?? {} });
        },
      },
    });
    sfn = new SFNClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  }, 180_000);

  afterAll(async () => {
    sfn?.destroy();
    await local?.close();
    await emulators?.close();
  });

  /** A Check Created event through the real start handler core; returns the check's identifiers. */
  async function startVerification(label: string, script: Script = {}) {
    const checkId = `ver_${label}_${randomUUID()}`;
    scripts.set(checkId, script);
    const event = {
      id: randomUUID(),
      source: 'audit-archiver.checks',
      'detail-type': 'Check Created',
      time: '2026-03-19T10:31:06Z',
      detail: { provider: 'verification', checkId },
    };
    const started = await startCheck(event, { sfn, stateMachineArns: { verification: local.stateMachineArn }, records: h.records, now: () => new Date(), identifierKey: testKeySource, logger: silentLogger, metrics: silentMetrics });
    expect(started.status).toBe('started');
    return { checkId, checkRef: started.checkRef, executionArn: started.executionArn!, executionName: started.executionName };
  }

  const recordOf = async (checkRef: string) => {
    const item = await h.records.get('verification', checkRef);
    return item?.status === ('started' as never) ? undefined : item;
  };
  const snapshot = () => local.executions().map((e) => `${e.name}:${e.status}:${e.redriveCount}`);

  it('recovers open checks whose workflows ended without a final record, leaves running ones alone, parks what cannot succeed', async () => {
    // Killed: stopped while polling, before anything was written.
    const killedGate = deferred();
    const killedPolling = deferred();
    const killed = await startVerification('killed', { gate: killedGate.promise, pollStarted: killedPolling.resolve });
    await killedPolling.promise;
    await sfn.send(new StopExecutionCommand({ executionArn: killed.executionArn, error: 'Operator', cause: 'killed by the test' }));
    killedGate.resolve();

    const done = await startVerification('done');
    // Archive failed, then Record failure could not write either: FAILED, the check still only `started`.
    const unrecordedFailure = await startVerification('unrecorded-failure', { archiveFailures: 1, recordFailureFailures: 1 });
    // Archive failed, Record failure wrote the error record: an error that a retry cannot fix (ProviderContractError).
    const recordedFailure = await startVerification('recorded-failure', { archiveFailures: 1 });
    // Succeeded, yet the check has no final record (its failure path yielded to a run that then died).
    const lost = await startVerification('record-lost');
    await local.idle();
    await h.dynamo.send(new PutCommand({
      TableName: emulators.tableName,
      Item: startedItemOf({ provider: 'verification', checkRef: lost.checkRef, createdAt: '2026-03-19T10:31:06Z', executionName: lost.executionName, startId: 'x', now: new Date() }),
    }));

    // Still polling while reconcile runs.
    const runningGate = deferred();
    const runningPolling = deferred();
    const running = await startVerification('running', { gate: runningGate.promise, pollStarted: runningPolling.resolve });
    await runningPolling.promise;

    expect((await recordOf(recordedFailure.checkRef))?.status).toBe('error');
    expect((await recordOf(done.checkRef))?.status).toBe('archived');
    const base = { sfn, stateMachineArns: { verification: local.stateMachineArn }, dynamo: h.dynamo, tableName: emulators.tableName, pageSize: 2 };

    // Dry run: the findings, and nothing changes.
    const before = snapshot();
    const dry = await reconcile({ ...base, now: LATER(), restart: false });
    expect(snapshot()).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, due: 5, running: 1, redriven: 0, restarted: 0, failed: 0 });
    const byRef = (report: ReconcileReport) => Object.fromEntries(report.lines.map((l) => [l.checkRef, l]));
    expect(byRef(dry)).toEqual({
      [killed.checkRef]: { provider: 'verification', checkRef: killed.checkRef, status: 'started', executionName: killed.executionName, executionStatus: 'ABORTED', action: 'would-redrive' },
      [unrecordedFailure.checkRef]: expect.objectContaining({ executionStatus: 'FAILED', action: 'would-redrive' }),
      [lost.checkRef]: expect.objectContaining({ executionStatus: 'SUCCEEDED', action: 'would-restart', newExecutionName: `${lost.executionName}-r1` }),
      [recordedFailure.checkRef]: expect.objectContaining({ status: 'error', action: 'would-park', reason: 'ProviderContractError does not succeed on a retry' }),
    });

    // For real.
    const recovered = await reconcile({ ...base, now: LATER(), restart: true });
    expect(recovered).toMatchObject({ dryRun: false, due: 5, running: 1, redriven: 2, restarted: 1, parked: 1, failed: 0 });
    expect(byRef(recovered)[lost.checkRef]).toMatchObject({ action: 'restarted', newExecutionName: `${lost.executionName}-r1` });
    expect((await listParked({ dynamo: h.dynamo, tableName: emulators.tableName })).map((p) => p.checkRef)).toContain(recordedFailure.checkRef);
    // Acted on once: the same run again starts nothing (the running one is looked at later, the rest are claimed).
    // The redrive of the unrecorded failure resumed at Record failure, as on AWS, which now records the error: if it is
    // there already, this run parks it (ProviderContractError does not succeed on a retry).
    const again = await reconcile({ ...base, now: LATER(), restart: true });
    expect(again).toMatchObject({ redriven: 0, restarted: 0, retried: 0, failed: 0 });
    expect(again.lines.every((line) => line.checkRef === unrecordedFailure.checkRef && line.action === 'parked')).toBe(true);

    runningGate.resolve();
    await local.idle();
    for (const check of [killed, lost, running, done]) {
      expect((await recordOf(check.checkRef))?.status, check.executionName).toBe('archived');
    }
    // Resumed at the failed state: Record failure ran again, the archive step did not.
    expect(await recordOf(unrecordedFailure.checkRef)).toMatchObject({ status: 'error', error: { name: 'ProviderContractError' } });
    expect(calls.get(`archive:${unrecordedFailure.checkId}`)).toBe(1);
    expect(calls.get(`record-failure:${unrecordedFailure.checkId}`)).toBe(2);
    const executions = local.executions();
    expect(executions.find((e) => e.name === killed.executionName)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    const restartInput = JSON.parse(executions.find((e) => e.name === `${lost.executionName}-r1`)!.input);
    expect(restartInput).toEqual({ check: { provider: 'verification', checkId: lost.checkId, checkRef: lost.checkRef, createdAt: '2026-03-19T10:31:06Z' } });
    // A final record leaves the open index by itself.
    const archived = await h.dynamo.send(new GetCommand({ TableName: emulators.tableName, Key: { pk: recordKeyOf('verification', killed.checkRef) } }));
    expect(archived.Item?.openShard).toBeUndefined();

    // The report names checks by provider and checkRef: no checkId anywhere.
    const text = JSON.stringify(recovered) + formatReport(recovered).join('\n');
    for (const check of [killed, unrecordedFailure, lost, running, done, recordedFailure]) expect(text).not.toContain(check.checkId);
    expect(formatReport(recovered)).toContain(`  verification ${lost.checkRef} started SUCCEEDED: restarted as ${lost.executionName}-r1`);

    // With retryFailed (the operator fixed the cause) the parked errors are retried by new executions, which archive.
    const retried = await reconcile({ ...base, now: LATER(), restart: true, retryFailed: true });
    expect(retried).toMatchObject({ retried: 2, failed: 0 });
    expect(retried.lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ checkRef: recordedFailure.checkRef, status: 'error', action: 'retried', newExecutionName: `${recordedFailure.executionName}-r1` }),
        expect.objectContaining({ checkRef: unrecordedFailure.checkRef, status: 'error', action: 'retried', newExecutionName: `${unrecordedFailure.executionName}-r1` }),
      ]),
    );
    await local.idle();
    expect((await recordOf(recordedFailure.checkRef))?.status).toBe('archived');
    expect((await recordOf(unrecordedFailure.checkRef))?.status).toBe('archived');
    expect(await listParked({ dynamo: h.dynamo, tableName: emulators.tableName })).toEqual([]);
  }, 120_000);

  it('two reconciles at once act on each check once: one execution per check, never a second while one runs', async () => {
    const checks = [];
    for (let i = 0; i < 6; i++) {
      const gate = deferred();
      const polling = deferred();
      const check = await startVerification(`race-${i}`, { gate: gate.promise, pollStarted: polling.resolve });
      await polling.promise;
      await sfn.send(new StopExecutionCommand({ executionArn: check.executionArn }));
      gate.resolve();
      checks.push(check);
    }
    await local.idle();
    const base = { sfn, stateMachineArns: { verification: local.stateMachineArn }, dynamo: h.dynamo, tableName: emulators.tableName, pageSize: 2, restart: true };
    const [a, b] = await Promise.all([reconcile({ ...base, now: LATER() }), reconcile({ ...base, now: LATER() })]);
    expect(a.redriven + b.redriven).toBe(6);
    expect(a.claimedElsewhere + b.claimedElsewhere + a.redriven + b.redriven).toBeGreaterThanOrEqual(6);
    await local.idle();
    for (const check of checks) {
      expect(local.executions().filter((e) => e.name.startsWith(check.executionName))).toEqual([expect.objectContaining({ status: 'SUCCEEDED', redriveCount: 1 })]);
      expect((await recordOf(check.checkRef))?.status).toBe('archived');
    }
  }, 120_000);
});

describe('reconcile, paths the local service cannot produce (mocked SFN client, dynalite records)', () => {
  let emulators: Emulators;
  let h: Harness;
  const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  // This instance only: the end-to-end block's client talks to the local service.
  const sfnMock = mockClient(sfn);
  const ARNS = {
    liveness: 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-liveness',
    kyc: 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-kyc',
    verification: 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-verification',
  };
  const NOW = new Date('2026-03-20T00:00:00Z');

  beforeAll(async () => {
    emulators = await startEmulators();
    h = harness(emulators);
  });

  afterAll(async () => {
    sfnMock.restore();
    sfn.destroy();
    await emulators?.close();
  });

  /** A started check, due for reconcile at NOW. */
  async function openCheck(startedAt = new Date('2026-03-19T10:31:07Z')) {
    const checkId = `ver_mocked_${randomUUID()}`;
    const check = { provider: 'verification' as const, checkId, checkRef: checkRefOf(TEST_KEY, 'verification', checkId), createdAt: '2026-03-19T10:31:06Z' };
    const name = executionNameOf(check);
    await h.dynamo.send(new PutCommand({ TableName: emulators.tableName, Item: startedItemOf({ ...check, executionName: name, startId: 's', now: startedAt }) }));
    return { check, name, executionArn: `arn:aws:states:us-east-1:111122223333:execution:AuditArchiver-Workflow-verification:${name}` };
  }
  const run = (overrides: Record<string, unknown> = {}) =>
    reconcile({ sfn, stateMachineArns: ARNS, dynamo: h.dynamo, tableName: emulators.tableName, now: NOW, restart: true, ...overrides });

  it('restarts when Step Functions refuses the redrive it said was possible (a race)', async () => {
    sfnMock.reset();
    const { check, executionArn } = await openCheck();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'ABORTED', redriveStatus: 'REDRIVABLE', input: JSON.stringify({ check }) });
    sfnMock.on(RedriveExecutionCommand).rejects(new ExecutionNotRedrivable({ message: 'no', $metadata: {} }));
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${executionArn}-r1`, startDate: new Date() });
    const report = await run();
    expect(report.lines).toEqual([expect.objectContaining({ action: 'restarted', newExecutionName: restartNameOf(check, 1) })]);
    expect(sfnMock.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toEqual({ executionArn, clientToken: `${check.checkRef}-0` });
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).toEqual({ check });
    const item = (await h.dynamo.send(new GetCommand({ TableName: emulators.tableName, Key: { pk: recordKeyOf('verification', check.checkRef) } }))).Item;
    expect(item).toMatchObject({ executionName: restartNameOf(check, 1), restarts: 1 });
  });

  it("describes and restarts a check on its own provider's state machine; without one, the check's line fails and nothing starts", async () => {
    sfnMock.reset();
    const { check, executionArn } = await openCheck();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'TIMED_OUT', redriveStatus: 'NOT_REDRIVABLE', input: JSON.stringify({ check }) });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${executionArn}-r1`, startDate: new Date() });
    expect(await run()).toMatchObject({ restarted: 1 });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]!.args[0].input.executionArn).toBe(executionArn);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(ARNS.verification);

    sfnMock.reset();
    const other = await openCheck();
    const report = await run({ stateMachineArns: { liveness: ARNS.liveness, kyc: ARNS.kyc } });
    expect(report.lines).toContainEqual(expect.objectContaining({ checkRef: other.check.checkRef, action: 'failed' }));
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('a restart whose name is already taken (a reconcile that died after starting it) is taken as started', async () => {
    sfnMock.reset();
    const { check, executionArn } = await openCheck();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'TIMED_OUT', redriveStatus: 'NOT_REDRIVABLE', input: JSON.stringify({ check }) });
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'taken', $metadata: {} }));
    const report = await run();
    expect(report).toMatchObject({ restarted: 1, redriven: 0, failed: 0 });
    expect(sfnMock.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
  });

  it('a stale RUNNING (Step Functions is eventually consistent) is left alone: no second execution, looked at later', async () => {
    sfnMock.reset();
    const { executionArn, check } = await openCheck();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'RUNNING' });
    const report = await run();
    expect(report).toMatchObject({ due: 1, running: 1, restarted: 0, redriven: 0 });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const item = (await h.dynamo.send(new GetCommand({ TableName: emulators.tableName, Key: { pk: recordKeyOf('verification', check.checkRef) } }))).Item;
    expect(Date.parse(item!.reconcileAt)).toBeGreaterThan(NOW.getTime());
    expect(await run()).toMatchObject({ due: 0 });
  });

  it('a started check without an execution (its event is dead-lettered) is reported, looked at again, and parked only after the queue dropped it', async () => {
    sfnMock.reset();
    const { check } = await openCheck();
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    const first = await run();
    expect(first).toMatchObject({ withoutExecution: 1 });
    expect(first.lines).toEqual([expect.objectContaining({ checkRef: check.checkRef, action: 'no-execution', executionStatus: 'ExecutionDoesNotExist' })]);
    const weeksLater = await run({ now: new Date(NOW.getTime() + 20 * 86_400_000) });
    expect(weeksLater.lines.filter((line) => line.checkRef === check.checkRef)).toEqual([expect.objectContaining({ action: 'parked' })]);
  });

  it('reports a check it cannot recover with the error name only, and goes on', async () => {
    sfnMock.reset();
    const { check, executionArn } = await openCheck();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'FAILED', redriveStatus: 'REDRIVABLE', input: JSON.stringify({ check }) });
    const denied = Object.assign(new Error(`User is not authorized: ${check.checkId}`), { name: 'AccessDeniedException' });
    sfnMock.on(RedriveExecutionCommand).rejects(denied);
    const report = await run();
    expect(report).toMatchObject({ failed: 1 });
    expect(report.lines).toEqual([expect.objectContaining({ action: 'failed', reason: 'AccessDeniedException' })]);
    expect(JSON.stringify(report)).not.toContain(check.checkId);
  });

  it('refuses to restart from an input that is not the check its item says', async () => {
    sfnMock.reset();
    const { check, executionArn } = await openCheck();
    const other = { ...check, checkRef: '0'.repeat(32) };
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'ABORTED', redriveStatus: 'NOT_REDRIVABLE', input: JSON.stringify({ check: other }) });
    const report = await run();
    expect(report.lines).toEqual([expect.objectContaining({ action: 'failed', reason: 'UnexpectedExecutionInputError' })]);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('reconcile at volume: 10,000 open checks', () => {
  let emulators: Emulators;
  const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const sfnMock = mockClient(sfn);
  const ARNS = {
    liveness: 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-liveness',
    kyc: 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-kyc',
    verification: 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow-verification',
  };
  const NOW = new Date('2026-03-20T12:00:00Z');
  const DUE = 1_000;

  beforeAll(async () => {
    emulators = await startEmulators();
    const dynamo = emulators.dynamoClient();
    // 10,000 open checks: 1,000 of them due now, the rest not before tomorrow.
    const items = Array.from({ length: 10_000 }, (_, i) => {
      const checkRef = checkRefOf(TEST_KEY, 'liveness', `volume-${i}`);
      const item = startedItemOf({ provider: 'liveness', checkRef, createdAt: NOW.toISOString(), executionName: `liveness-${checkRef}`, startId: 's', now: NOW });
      return { ...item, reconcileAt: new Date(NOW.getTime() + (i < DUE ? -60_000 : 86_400_000)).toISOString() };
    });
    for (let i = 0; i < items.length; i += 25) {
      await dynamo.send(new BatchWriteCommand({ RequestItems: { [emulators.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
  }, 120_000);

  afterAll(async () => {
    sfnMock.restore();
    sfn.destroy();
    await emulators?.close();
  });

  it('touches only the due ones, page by page, stops within its time and the next runs finish: each check looked at once', async () => {
    const described = new Map<string, number>();
    sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      described.set(input.executionArn, (described.get(input.executionArn) ?? 0) + 1);
      return { executionArn: input.executionArn, status: 'RUNNING' };
    });
    // A clock the test owns: every Step Functions call costs 100 ms of the run's budget of 40 s.
    let runs = 0;
    let looked = 0;
    for (; runs < 10 && looked < DUE; runs++) {
      const callsBefore = sfnMock.commandCalls(DescribeExecutionCommand).length;
      const budget = 40_000;
      const report = await reconcile({
        sfn,
        stateMachineArns: ARNS,
        dynamo: emulators.dynamoClient(),
        tableName: emulators.tableName,
        now: NOW,
        restart: true,
        pageSize: 50,
        timeLeft: () => budget - (sfnMock.commandCalls(DescribeExecutionCommand).length - callsBefore) * 100,
      });
      looked += report.running;
      expect(report.running).toBeLessThanOrEqual(400);
      if (looked < DUE) expect(report.stoppedForTime).toBe(true);
    }
    expect(looked).toBe(DUE);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(described.size).toBe(DUE);
    expect([...described.values()].every((n) => n === 1)).toBe(true);
    expect(await reconcile({ sfn, stateMachineArns: ARNS, dynamo: emulators.dynamoClient(), tableName: emulators.tableName, now: NOW, restart: true })).toMatchObject({ due: 0 });
    // The open checks not yet due were never read (O(due), not O(open)): still as they were.
    expect(openShardOf(checkRefOf(TEST_KEY, 'liveness', 'volume-9999'))).toMatch(/^open#/);
  }, 180_000);
});

describe('execution names', () => {
  it('parses the start function’s and reconcile’s names, and nothing else', () => {
    const ref = 'a'.repeat(32);
    expect(parseExecutionName(`kyc-${ref}`)).toEqual({ provider: 'kyc', checkRef: ref, restart: 0 });
    expect(parseExecutionName(`liveness-${ref}-r12`)).toEqual({ provider: 'liveness', checkRef: ref, restart: 12 });
    expect(restartNameOf({ provider: 'verification', checkRef: ref }, 3)).toBe(`verification-${ref}-r3`);
    expect(restartNameOf({ provider: 'verification', checkRef: ref }, 9999).length).toBeLessThanOrEqual(80);
    for (const name of [`kyc-${ref}-r0`, `kyc-${ref.slice(1)}`, `other-${ref}`, `kyc-${ref.toUpperCase()}`, `kyc-${ref}-x`, 'manual-1']) {
      expect(parseExecutionName(name), name).toBeUndefined();
    }
    expect(() => restartNameOf({ provider: 'kyc', checkRef: ref }, 0)).toThrow(RangeError);
  });
});
