import { randomUUID } from 'node:crypto';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../../../lambdas/archive/engine';
import { checkRefOf } from '../../../../lambdas/checks/check-ref';
import { executionNameOf } from '../../../../lambdas/events/check-created';
import type { ReconcileReport } from '../../../../lambdas/operations/reconcile';
import type { WorkflowCheck, WorkflowState } from '../../../../lambdas/checks/workflow-contract';
import { reconcileCommand, runReconcile } from '../../../../bin/cli/commands/reconcile';
import { startedItemOf } from '../../../../lambdas/records/open-checks';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CliIo } from '../../../../bin/cli/command';
import { startEmulators, type Emulators } from '../../../../local/emulators';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../../../local/step-functions-service';
import { harness, stubClient, type Harness } from '../../../support/archive-harness';
import { verificationComplete } from '../../../support/answers';
import { TEST_KEY } from '../../../support/identifier-key';

function memoryIo(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The command against local endpoints. A one-task definition suffices here: the recovery logic is tested on the
 * synthesized workflow in test/lambdas/operations/reconcile.test.ts; this checks arguments, clients, output, exit codes.
 */
describe('audit-archiver reconcile (local endpoints)', () => {
  let emulators: Emulators;
  let h: Harness;
  let local: LocalStepFunctions;
  let sfn: SFNClient;
  const gates = new Map<string, { gate: Promise<void>; started: () => void }>();

  beforeAll(async () => {
    emulators = await startEmulators();
    h = harness(emulators);
    const client = stubClient('verification', verificationComplete());
    local = await startLocalStepFunctions({
      definition: { StartAt: 'Archive', States: { Archive: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:archive', End: true } } },
      taskHandlers: {
        Archive: async (state: WorkflowState) => {
          const gate = gates.get(state.check.checkId);
          if (gate) {
            // The function "dies" with its execution: nothing written.
            gate.started();
            await gate.gate;
            throw new Error('killed');
          }
          return archiveCheck(h.deps(client), state.check);
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

  const endpoints = () => ['--sfn-endpoint', local.endpoint, '--dynamodb-endpoint', emulators.dynamoEndpoint];
  // The stack output StateMachineArns: this test's checks are verification's (the local service's one state machine).
  const stateMachines = () =>
    JSON.stringify({
      liveness: 'arn:aws:states:us-east-1:000000000000:stateMachine:other-liveness',
      kyc: 'arn:aws:states:us-east-1:000000000000:stateMachine:other-kyc',
      verification: local.stateMachineArn,
    });

  it('reports, then recovers a killed check; exit 0; output names provider and checkRef only', async () => {
    const checkId = `ver_cli_${randomUUID()}`;
    const check: WorkflowCheck = { provider: 'verification', checkId, checkRef: checkRefOf(TEST_KEY, 'verification', checkId), createdAt: '2026-03-19T10:31:06Z' };
    const name = executionNameOf(check);
    // The start function's item, written an hour ago: the check is due for reconcile's first look.
    await h.dynamo.send(new PutCommand({ TableName: emulators.tableName, Item: startedItemOf({ ...check, executionName: name, startId: 's', now: new Date(Date.now() - 3_600_000) }) }));
    const started = deferred();
    const gate = deferred();
    gates.set(checkId, { gate: gate.promise, started: started.resolve });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn, name, input: JSON.stringify({ check }) }));
    await started.promise;
    await sfn.send(new StopExecutionCommand({ executionArn }));
    gate.resolve();
    await local.idle();
    gates.delete(checkId);

    const env = { STATE_MACHINE_ARNS: stateMachines(), AUDIT_ARCHIVER_TABLE: emulators.tableName };
    const dry = memoryIo(env);
    expect(await runReconcile([...endpoints(), '--dry-run'], dry.io)).toBe(0);
    expect(dry.stdout()).toContain('(dry run: nothing changed)');
    expect(dry.stdout()).toContain(`  verification ${check.checkRef} started ABORTED: would-redrive`);
    expect(local.executions()[0]).toMatchObject({ status: 'ABORTED', redriveCount: 0 });

    const run = memoryIo(env);
    expect(await runReconcile([...endpoints(), '--json'], run.io)).toBe(0);
    const report = JSON.parse(run.stdout()) as ReconcileReport;
    expect(report).toMatchObject({ dryRun: false, due: 1, redriven: 1, failed: 0 });
    await local.idle();
    expect((await h.records.get('verification', check.checkRef))?.status).toBe('archived');
    for (const text of [dry.stdout(), run.stdout(), dry.stderr(), run.stderr()]) expect(text).not.toContain(checkId);

    // The registry form reads the runner's parsed values: --format json counts as --json.
    const registered = memoryIo();
    const values = { 'state-machines': stateMachines(), table: emulators.tableName, 'sfn-endpoint': local.endpoint, 'dynamodb-endpoint': emulators.dynamoEndpoint };
    const exit = await reconcileCommand.run({ io: registered.io, values, positionals: [], format: 'json', target: () => Promise.reject(new Error('not needed')) });
    expect(exit).toBe(0);
    expect(JSON.parse(registered.stdout())).toMatchObject({ due: 0, redriven: 0 });
    const parked = memoryIo(env);
    expect(await runReconcile([...endpoints(), '--parked'], parked.io)).toBe(0);
    expect(parked.stdout()).toBe('parked checks: 0\n');
    expect(Object.keys(reconcileCommand.options ?? {})).not.toContain('table'); // a global option of the runner
  });

  it('exit 2 on bad arguments, 4 when Step Functions refuses (unknown state machine), with the error name only', async () => {
    const missing = memoryIo();
    expect(await runReconcile([...endpoints()], missing.io)).toBe(2);
    expect(missing.stderr()).toContain('--state-machines (or STATE_MACHINE_ARNS) is required');
    // Every provider's state machine, as the stack output lists them.
    const partial = memoryIo({ STATE_MACHINE_ARNS: JSON.stringify({ verification: local.stateMachineArn }), TABLE_NAME: emulators.tableName });
    expect(await runReconcile([...endpoints()], partial.io)).toBe(2);
    expect(partial.stderr()).toContain('--state-machines needs a state machine ARN for each of liveness, kyc, verification');
    const notJson = memoryIo();
    expect(await runReconcile([...endpoints(), '--state-machines', local.stateMachineArn, '--table', 't'], notJson.io)).toBe(2);
    expect(notJson.stderr()).toContain('--state-machines must be JSON');

    const unknownFlag = memoryIo();
    expect(await runReconcile(['--nope'], unknownFlag.io)).toBe(2);
    expect(unknownFlag.stderr()).toContain('audit-archiver reconcile [options]');

    const removed = memoryIo({ STATE_MACHINE_ARNS: stateMachines(), TABLE_NAME: emulators.tableName });
    expect(await runReconcile([...endpoints(), '--since', '1d'], removed.io)).toBe(2);

    const refused = memoryIo({ STATE_MACHINE_ARNS: stateMachines(), TABLE_NAME: 'no-such-table' });
    expect(await runReconcile([...endpoints()], refused.io)).toBe(4);
    expect(refused.stderr()).toBe('reconcile failed: StorageRejectedError\n');

    const help = memoryIo();
    expect(await runReconcile(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toContain('Exit codes');
  });


});
