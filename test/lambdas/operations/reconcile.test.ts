import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionNotRedrivable,
} from '@aws-sdk/client-sfn';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck, recordOutcome } from '../../../lambdas/archive/engine';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { ProviderContractError } from '../../../lambdas/common/errors';
import { StorageRejectedError } from '../../../lambdas/common/storage-errors';
import { executionNameOf } from '../../../lambdas/events/check-created';
import { startCheck, type StartDependencies } from '../../../lambdas/handlers/start';
import { parseExecutionName, restartNameOf } from '../../../lambdas/operations/execution-names';
import { formatReport, reconcile, type ReconcileReport } from '../../../lambdas/operations/reconcile';
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

const silentLogger = { info() {}, error() {} };
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
    const definition = definitionFromTemplate(synthesize().template.toJSON());
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
  });

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
    const started = await startCheck(event, { sfn, stateMachineArn: local.stateMachineArn, identifierKey: testKeySource, logger: silentLogger, metrics: silentMetrics });
    expect(started.status).toBe('started');
    return { checkId, checkRef: started.checkRef, executionArn: started.executionArn!, executionName: started.executionName };
  }

  const recordOf = (checkRef: string) => h.records.get('verification', checkRef);
  const snapshot = () => local.executions().map((e) => `${e.name}:${e.status}:${e.redriveCount}`);

  it('recovers checks whose workflows ended without a record, leaves recorded and running ones alone', async () => {
    // Killed: stopped while polling, before anything was written.
    const killedGate = deferred();
    const killedPolling = deferred();
    const killed = await startVerification('killed', { gate: killedGate.promise, pollStarted: killedPolling.resolve });
    await killedPolling.promise;
    await sfn.send(new StopExecutionCommand({ executionArn: killed.executionArn, error: 'Operator', cause: 'killed by the test' }));
    killedGate.resolve();

    const done = await startVerification('done');
    // Archive failed, then Record failure could not write either: FAILED with no record.
    const unrecordedFailure = await startVerification('unrecorded-failure', { archiveFailures: 1, recordFailureFailures: 1 });
    // Archive failed, Record failure wrote the error record: FAILED, recorded.
    const recordedFailure = await startVerification('recorded-failure', { archiveFailures: 1 });
    // Succeeded, but its record is gone.
    const lost = await startVerification('record-lost');
    // Started by hand under a name that is not a check's: ignored.
    const manual = `ver_manual_${randomUUID()}`;
    scripts.set(manual, {});
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.stateMachineArn,
        name: `manual-${randomUUID()}`,
        input: JSON.stringify({ check: { provider: 'verification', checkId: manual, checkRef: checkRefOf(TEST_KEY, 'verification', manual), createdAt: '2026-03-19T10:31:06Z' } }),
      }),
    );
    await local.idle();
    await h.dynamo.send(new DeleteCommand({ TableName: emulators.tableName, Key: { pk: recordKeyOf('verification', lost.checkRef) } }));

    // Still polling while reconcile runs.
    const runningGate = deferred();
    const runningPolling = deferred();
    const running = await startVerification('running', { gate: runningGate.promise, pollStarted: runningPolling.resolve });
    await runningPolling.promise;

    const statusOf = async (arn: string) => (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status;
    expect(await statusOf(killed.executionArn)).toBe('ABORTED');
    expect(await statusOf(unrecordedFailure.executionArn)).toBe('FAILED');
    expect(await statusOf(recordedFailure.executionArn)).toBe('FAILED');
    expect(await statusOf(lost.executionArn)).toBe('SUCCEEDED');
    for (const check of [killed, unrecordedFailure, lost]) expect(await recordOf(check.checkRef), check.executionName).toBeUndefined();
    expect((await recordOf(recordedFailure.checkRef))?.status).toBe('error');
    expect((await recordOf(done.checkRef))?.status).toBe('archived');

    const base = { sfn, stateMachineArn: local.stateMachineArn, records: h.records, pageSize: 2 };

    // Dry run: the findings, and nothing changes.
    const before = snapshot();
    const dry = await reconcile({ ...base, now: new Date(), restart: false });
    expect(snapshot()).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, executions: 7, unrecognized: 1, checks: 6, recorded: 2, running: 1, unrecorded: 3, redriven: 0, restarted: 0, failed: 0 });
    const byRef = (report: ReconcileReport) => Object.fromEntries(report.lines.map((l) => [l.checkRef, l]));
    expect(byRef(dry)).toEqual({
      [killed.checkRef]: { provider: 'verification', checkRef: killed.checkRef, executionName: killed.executionName, executionStatus: 'ABORTED', action: 'would-redrive' },
      [unrecordedFailure.checkRef]: expect.objectContaining({ executionStatus: 'FAILED', action: 'would-redrive' }),
      [lost.checkRef]: expect.objectContaining({ executionStatus: 'SUCCEEDED', action: 'would-restart', newExecutionName: `${lost.executionName}-r1` }),
    });

    // For real.
    const recovered = await reconcile({ ...base, now: new Date(), restart: true });
    expect(recovered).toMatchObject({ dryRun: false, checks: 6, recorded: 2, running: 1, unrecorded: 3, redriven: 2, restarted: 1, failed: 0 });
    expect(byRef(recovered)[killed.checkRef]?.action).toBe('redriven');
    expect(byRef(recovered)[unrecordedFailure.checkRef]?.action).toBe('redriven');
    expect(byRef(recovered)[lost.checkRef]).toMatchObject({ action: 'restarted', newExecutionName: `${lost.executionName}-r1` });

    runningGate.resolve();
    await local.idle();
    // Every started check now has its record. (The local service redrives from the first state, so the redriven
    // failure archives; on AWS it resumes at Record failure and records the error — a record either way.)
    for (const check of [killed, unrecordedFailure, lost, running, done]) {
      expect((await recordOf(check.checkRef))?.status, check.executionName).toBe('archived');
    }
    const executions = local.executions();
    expect(executions.find((e) => e.name === killed.executionName)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(executions.find((e) => e.name === `${lost.executionName}-r1`)).toMatchObject({ status: 'SUCCEEDED' });
    const restartInput = JSON.parse(executions.find((e) => e.name === `${lost.executionName}-r1`)!.input);
    expect(restartInput).toEqual({ check: { provider: 'verification', checkId: lost.checkId, checkRef: lost.checkRef, createdAt: '2026-03-19T10:31:06Z' } });

    // The report names checks by provider and checkRef: no checkId anywhere.
    const text = JSON.stringify(recovered) + formatReport(recovered).join('\n');
    for (const check of [killed, unrecordedFailure, lost, running, done, recordedFailure]) expect(text).not.toContain(check.checkId);
    expect(formatReport(recovered)).toContain(`  verification ${lost.checkRef} SUCCEEDED: restarted as ${lost.executionName}-r1`);

    // With retryFailed the error record is retried by a new execution, which archives and replaces it.
    const retried = await reconcile({ ...base, now: new Date(), restart: true, retryFailed: true });
    expect(retried).toMatchObject({ recorded: 5, running: 0, unrecorded: 1, redriven: 0, restarted: 1, failed: 0 });
    expect(retried.lines).toEqual([
      {
        provider: 'verification',
        checkRef: recordedFailure.checkRef,
        executionName: recordedFailure.executionName,
        executionStatus: 'FAILED',
        recordStatus: 'error',
        action: 'restarted',
        newExecutionName: `${recordedFailure.executionName}-r1`,
      },
    ]);
    await local.idle();
    expect((await recordOf(recordedFailure.checkRef))?.status).toBe('archived');

    // Nothing left: a further run changes nothing; a window after every start sees nothing.
    const settled = snapshot();
    const again = await reconcile({ ...base, now: new Date(), restart: true, retryFailed: true });
    expect(again).toMatchObject({ checks: 6, recorded: 6, unrecorded: 0, redriven: 0, restarted: 0, lines: [] });
    expect(snapshot()).toEqual(settled);
    const empty = await reconcile({ ...base, now: new Date(), since: new Date(Date.now() + 60_000), restart: true });
    expect(empty).toMatchObject({ executions: 0, checks: 0 });
  });
});

describe('reconcile, paths the local service cannot produce (mocked SFN client, dynalite records)', () => {
  let emulators: Emulators;
  let h: Harness;
  const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  // This instance only: the end-to-end block's client talks to the local service.
  const sfnMock = mockClient(sfn);
  const ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:AuditArchiver-Workflow';
  const checkId = 'ver_mocked';
  const check = { provider: 'verification' as const, checkId, checkRef: checkRefOf(TEST_KEY, 'verification', checkId), createdAt: '2026-03-19T10:31:06Z' };
  const name = executionNameOf(check);
  const executionArn = `arn:aws:states:us-east-1:111122223333:execution:AuditArchiver-Workflow:${name}`;

  beforeAll(async () => {
    emulators = await startEmulators();
    h = harness(emulators);
  });

  afterAll(async () => {
    sfnMock.restore();
    sfn.destroy();
    await emulators?.close();
  });

  function listing(status: string) {
    sfnMock.reset();
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [{ executionArn, stateMachineArn: ARN, name, status: status as never, startDate: new Date('2026-03-19T10:31:07Z') }],
    });
  }

  it('restarts when Step Functions refuses the redrive it said was possible (a race)', async () => {
    listing('ABORTED');
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'ABORTED', redriveStatus: 'REDRIVABLE', input: JSON.stringify({ check }) });
    sfnMock.on(RedriveExecutionCommand).rejects(new ExecutionNotRedrivable({ message: 'no', $metadata: {} }));
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${executionArn}-r1`, startDate: new Date() });
    const report = await reconcile({ sfn, stateMachineArn: ARN, records: h.records, now: new Date('2026-03-20T00:00:00Z'), restart: true });
    expect(report.lines).toEqual([expect.objectContaining({ action: 'restarted', newExecutionName: restartNameOf(check, 1) })]);
    expect(sfnMock.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toEqual({ executionArn, clientToken: `${check.checkRef}-0` });
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).toEqual({ check });
  });

  it('restarts a timed-out execution AWS will not redrive, skipping restart names already taken', async () => {
    listing('TIMED_OUT');
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn,
      status: 'TIMED_OUT',
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution has exceeded the max execution time.',
      input: JSON.stringify({ check }),
    });
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'taken', $metadata: {} }))
      .resolves({ executionArn: `${executionArn}-r2`, startDate: new Date() });
    const report = await reconcile({ sfn, stateMachineArn: ARN, records: h.records, now: new Date('2026-03-20T00:00:00Z'), restart: true });
    expect(report).toMatchObject({ restarted: 1, redriven: 0 });
    expect(report.lines[0]?.newExecutionName).toBe(restartNameOf(check, 2));
    expect(sfnMock.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([restartNameOf(check, 1), restartNameOf(check, 2)]);
  });

  it('reports a check it cannot recover with the error name only, and goes on', async () => {
    listing('FAILED');
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'FAILED', redriveStatus: 'REDRIVABLE', input: JSON.stringify({ check }) });
    const denied = Object.assign(new Error(`User is not authorized: ${checkId}`), { name: 'AccessDeniedException' });
    sfnMock.on(RedriveExecutionCommand).rejects(denied);
    const report = await reconcile({ sfn, stateMachineArn: ARN, records: h.records, now: new Date('2026-03-20T00:00:00Z'), restart: true });
    expect(report).toMatchObject({ failed: 1, unrecorded: 1 });
    expect(report.lines).toEqual([expect.objectContaining({ action: 'failed', reason: 'AccessDeniedException' })]);
    expect(JSON.stringify(report)).not.toContain(checkId);
  });

  it('refuses to restart from an input that is not the check its name says', async () => {
    listing('ABORTED');
    const other = { ...check, checkRef: '0'.repeat(32) };
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn, status: 'ABORTED', redriveStatus: 'NOT_REDRIVABLE', input: JSON.stringify({ check: other }) });
    const report = await reconcile({ sfn, stateMachineArn: ARN, records: h.records, now: new Date('2026-03-20T00:00:00Z'), restart: true });
    expect(report.lines).toEqual([expect.objectContaining({ action: 'failed', reason: 'UnexpectedExecutionInputError' })]);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('stops listing at the first execution older than `since` (newest first)', async () => {
    sfnMock.reset();
    const item = (n: number, day: string) => ({ executionArn: `${executionArn}-${n}`, stateMachineArn: ARN, name: `manual-${n}`, status: 'SUCCEEDED' as const, startDate: new Date(day) });
    sfnMock
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [item(1, '2026-03-19T00:00:00Z'), item(2, '2026-03-18T00:00:00Z')], nextToken: 't1' })
      .resolvesOnce({ executions: [item(3, '2026-03-10T00:00:00Z'), item(4, '2026-03-09T00:00:00Z')], nextToken: 't2' });
    const report = await reconcile({ sfn, stateMachineArn: ARN, records: h.records, now: new Date('2026-03-20T00:00:00Z'), since: new Date('2026-03-15T00:00:00Z'), restart: true });
    expect(report).toMatchObject({ executions: 2, unrecognized: 2, checks: 0, since: '2026-03-15T00:00:00.000Z' });
    expect(sfnMock.commandCalls(ListExecutionsCommand)).toHaveLength(2);
  });
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
