import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { ArchiverError } from '../../../lambdas/common/errors';
import { InvalidEventError } from '../../../lambdas/events/check-created';
import { MAX_START_RECEIVES, startBatch, startCheck, StartExecutionFailedError, throttleBackoffSeconds, type StartBatchDependencies } from '../../../lambdas/handlers/start';
import { logger, metrics } from '../../../lambdas/common/powertools';
import { TEST_KEY, testKeySource } from '../../support/identifier-key';
import { createLocalSealer, openDeadLetter, parseDeadLetter } from '../../../lambdas/events/dead-letters';
import { createRecordStore, type RecordStore } from '../../../lambdas/records/record-store';
import { SEEN_HORIZON_DAYS } from '../../../lambdas/records/open-checks';
import { TTL_ATTRIBUTE, seenKeyOf } from '../../../lambdas/records/table-schema';
import { GetCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { startEmulators, type Emulators } from '../../../local/emulators';
import type { SQSRecord } from 'aws-lambda';

const STATE_MACHINES = {
  liveness: 'arn:aws:states:eu-west-1:111122223333:stateMachine:AuditArchiver-Workflow-liveness',
  kyc: 'arn:aws:states:eu-west-1:111122223333:stateMachine:AuditArchiver-Workflow-kyc',
  verification: 'arn:aws:states:eu-west-1:111122223333:stateMachine:AuditArchiver-Workflow-verification',
};
const STATE_MACHINE_ARN = STATE_MACHINES.liveness;
let n = 0;
let TOKEN = '';
let REF = '';
beforeEach(() => {
  TOKEN = `lt_4f0c1e9a7b2d-very-secret-liveness-token-${++n}-${Date.now()}`;
  REF = checkRefOf(TEST_KEY, 'liveness', TOKEN);
});

function event(detail: unknown) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Check Created',
    source: 'audit-archiver.checks',
    account: '111122223333',
    time: '2026-03-04T05:06:07Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

/** Everything the function writes to stdout/stderr (Powertools logs and EMF metrics) while `run` runs. */
async function captureOutput<T>(run: () => Promise<T>): Promise<{ output: string; result?: T; error?: unknown }> {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  try {
    const result = await run();
    return { output: chunks.join(''), result };
  } catch (error) {
    return { output: chunks.join(''), error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function metricsIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => JSON.parse(line)._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name));
}

let emulators: Emulators;
let records: RecordStore;
beforeAll(async () => {
  emulators = await startEmulators();
  records = createRecordStore({ client: emulators.dynamoClient(), tableName: emulators.tableName });
});
afterAll(() => emulators.close());

describe('start function (mocked SFN client, records on dynalite)', () => {
  let sfnClient: SFNClient;
  let sfn: AwsClientStub<SFNClient>;
  const letters: string[] = [];
  const sealer = createLocalSealer(randomBytes(32));
  const deps = (overrides: Partial<StartBatchDependencies> = {}): StartBatchDependencies => ({
    identifierKey: testKeySource,
    sfn: sfnClient,
    stateMachineArns: STATE_MACHINES,
    records,
    now: () => new Date(),
    logger,
    metrics,
    sealer,
    deadLetters: { send: async (body) => void letters.push(body) },
    ...overrides,
  });
  const item = async (pk: string) => (await emulators.dynamoClient().send(new GetCommand({ TableName: emulators.tableName, Key: { pk }, ConsistentRead: true }))).Item;

  beforeEach(() => {
    sfnClient = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    sfn = mockClient(sfnClient);
    letters.length = 0;
  });
  afterEach(() => sfn.restore());

  it('writes the started item (no personal data), marks the check seen, and starts the workflow with the deterministic name', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:liveness-${REF}`, startDate: new Date() });
    const { result, output } = await captureOutput(() => startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps()));
    expect(result).toMatchObject({ status: 'started', provider: 'liveness', checkRef: REF, executionName: `liveness-${REF}` });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]!.args[0].input;
    expect(sent.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(sent.name).toBe(`liveness-${REF}`);
    expect(JSON.parse(sent.input!)).toEqual({ check: { provider: 'liveness', checkId: TOKEN, checkRef: REF, createdAt: '2026-03-04T05:06:07Z' } });
    const started = await item(`liveness#${REF}`);
    expect(started).toMatchObject({ status: 'started', statusRank: -1, executionName: `liveness-${REF}`, createdAt: '2026-03-04T05:06:07.000Z' });
    expect(started?.openShard).toMatch(/^open#\d\d$/);
    expect(JSON.stringify(started)).not.toContain(TOKEN);
    // The marker expires (the table's TTL attribute), long after its started item: 400 days past the item's 400.
    const marker = await item(seenKeyOf('liveness', REF));
    expect(marker).toMatchObject({ provider: 'liveness', checkRef: REF });
    expect(marker?.[TTL_ATTRIBUTE]).toBe(started!.ttl + SEEN_HORIZON_DAYS * 86_400);
    expect(metricsIn(output)).toEqual(['ChecksStarted']);
    expect(output).not.toContain(TOKEN);
  });

  it('a duplicate while the workflow runs finds its name taken (ExecutionAlreadyExists) and starts nothing', async () => {
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: 'arn', startDate: new Date() }).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps());
    const { result, output } = await captureOutput(() => startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps()));
    expect(result).toMatchObject({ status: 'duplicate', checkRef: REF });
    expect(metricsIn(output)).toEqual(['DuplicateEvents']);
  });

  it('a duplicate after the check was recorded starts nothing, whatever Step Functions still remembers (90 days)', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    await startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps());
    await emulators.dynamoClient().send(new (await import('@aws-sdk/lib-dynamodb')).UpdateCommand({
      TableName: emulators.tableName, Key: { pk: `liveness#${REF}` }, UpdateExpression: 'SET #s = :s, statusRank = :r', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'archived', ':r': 3 },
    }));
    const { result } = await captureOutput(() => startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps()));
    expect(result).toMatchObject({ status: 'duplicate' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('a duplicate after the record expired (TTL deleted it) starts nothing: the seen marker outlives the record', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    await startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps());
    // The record expires years later: DynamoDB's TTL deletes the item, the marker stays.
    await emulators.dynamoClient().send(new DeleteCommand({ TableName: emulators.tableName, Key: { pk: `liveness#${REF}` } }));
    const { result, output } = await captureOutput(() => startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps()));
    expect(result).toMatchObject({ status: 'duplicate', expired: true });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(await item(`liveness#${REF}`)).toBeUndefined();
    expect(output).not.toContain(TOKEN);
  });

  it('an event redelivered after a start that failed half-way (item written, no execution) starts the workflow', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }))
      .resolves({ executionArn: 'arn', startDate: new Date() });
    const first = await captureOutput(() => startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps()));
    expect(first.error).toBeInstanceOf(StartExecutionFailedError);
    expect(first.error).toMatchObject({ retryable: true, message: 'StartExecution failed: ThrottlingException (HTTP 400)' });
    const again = await captureOutput(() => startCheck(event({ provider: 'liveness', checkId: TOKEN }), deps()));
    expect(again.result).toMatchObject({ status: 'started' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('rejects an invalid event with InvalidEventError, counts it, and logs paths without values', async () => {
    const { error, output } = await captureOutput(() => startCheck(event({ provider: 'selfie', checkId: TOKEN, createdAt: `at ${TOKEN}` }), deps()));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).issues).toEqual([
      { path: 'detail.provider', code: 'invalid_value' },
      { path: 'detail.createdAt', code: 'invalid_format' },
    ]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(metricsIn(output)).toEqual(['InvalidEvents']);
    expect(output).not.toContain(TOKEN);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it("starts each check on its own provider's workflow (whose functions hold that provider's secret alone)", async () => {
    sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({ executionArn: `${input.stateMachineArn}:${input.name}`, startDate: new Date() }));
    for (const provider of ['kyc', 'verification'] as const) {
      await captureOutput(() => startCheck(event({ provider, checkId: `own-${provider}-${n++}` }), deps()));
    }
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.stateMachineArn)).toEqual([STATE_MACHINES.kyc, STATE_MACHINES.verification]);
  });

  it("fails with ConfigurationError when the provider's state machine is missing, and starts nothing", async () => {
    const { error } = await captureOutput(() =>
      startCheck(event({ provider: 'kyc', checkId: 'abc' }), deps({ stateMachineArns: { liveness: STATE_MACHINES.liveness, verification: STATE_MACHINES.verification } })),
    );
    expect(error).toMatchObject({ name: 'ConfigurationError' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  describe('batches from the queue', () => {
    const message = (body: unknown, receives: number, id = `m-${++n}`): SQSRecord =>
      ({ messageId: id, receiptHandle: id, body: JSON.stringify(body), attributes: { ApproximateReceiveCount: String(receives) }, messageAttributes: {} }) as unknown as SQSRecord;

    it('an invalid event is dead-lettered at once: sealed, its reason in paths, the token nowhere in clear; the batch acknowledges it', async () => {
      const bad = event({ provider: 'selfie', checkId: TOKEN });
      const { result, output } = await captureOutput(() => startBatch({ Records: [message(bad, 1)] }, deps()));
      expect(result?.response.batchItemFailures).toEqual([]);
      expect(result?.outcomes[0]).toMatchObject({ outcome: 'dead-lettered' });
      expect(letters).toHaveLength(1);
      expect(letters[0]).not.toContain(TOKEN);
      const letter = parseDeadLetter(letters[0]!)!;
      expect(letter).toMatchObject({ reason: { name: 'InvalidEventError' }, replayable: false, attempts: 1, createdAt: '2026-03-04T05:06:07Z' });
      expect(letter.event).toBeUndefined();
      expect(JSON.parse(await openDeadLetter(sealer, letter))).toEqual(bad);
      expect(output).not.toContain(TOKEN);
    });

    it('a throttled start waits longer on each receive and is never dead-lettered for it', async () => {
      sfn.on(StartExecutionCommand).rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
      const good = event({ provider: 'liveness', checkId: TOKEN });
      const waits: Array<[string, number]> = [];
      const backOff = async (record: SQSRecord, seconds: number) => void waits.push([record.receiptHandle, seconds]);
      for (const receives of [1, 2, MAX_START_RECEIVES, MAX_START_RECEIVES + 3]) {
        const batch = await startBatch({ Records: [message(good, receives, 'a')] }, deps({ backOff, throttleBackoffSeconds: 10 }));
        expect(batch.response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
      }
      expect(letters).toHaveLength(0);
      // 10 s doubled per receive, plus up to a tenth of jitter.
      expect(waits.map(([handle]) => handle)).toEqual(['a', 'a', 'a', 'a']);
      const expected = [10, 20, 10 * 2 ** (MAX_START_RECEIVES - 1), 10 * 2 ** (MAX_START_RECEIVES + 2)];
      waits.forEach(([, seconds], i) => {
        expect(seconds).toBeGreaterThanOrEqual(expected[i]!);
        expect(seconds).toBeLessThanOrEqual(Math.ceil(expected[i]! * 1.1));
      });
    });

    it('spaces throttled receives by a doubling, jittered wait within SQS’s 12 hours', () => {
      expect([1, 2, 3, 8].map((n) => throttleBackoffSeconds(n, 90, () => 0))).toEqual([90, 180, 360, 11_520]);
      expect(throttleBackoffSeconds(1, 90, () => 0.999)).toBe(99);
      expect(throttleBackoffSeconds(20, 90, () => 0)).toBe(43_200);
    });

    it('another StartExecution failure is retried by the queue, then dead-lettered with the checkRef in place of the token', async () => {
      sfn.on(StartExecutionCommand).rejects(new SFNServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'down', $metadata: { httpStatusCode: 503 } }));
      const good = event({ provider: 'liveness', checkId: TOKEN });
      const early = await startBatch({ Records: [message(good, 1, 'a')] }, deps());
      expect(early.response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
      expect(letters).toHaveLength(0);
      const last = await startBatch({ Records: [message(good, MAX_START_RECEIVES, 'a')] }, deps());
      expect(last.response.batchItemFailures).toEqual([]);
      const letter = parseDeadLetter(letters[0]!)!;
      expect(letters[0]).not.toContain(TOKEN);
      expect(letter).toMatchObject({ provider: 'liveness', checkRef: REF, replayable: true, reason: { name: 'StartExecutionFailedError' } });
      expect(letter.event).toMatchObject({ detail: { provider: 'liveness', checkRef: REF }, time: '2026-03-04T05:06:07Z' });
      expect(JSON.parse(await openDeadLetter(sealer, letter))).toEqual(good);
      // The blob opens only as part of its own letter.
      await expect(openDeadLetter(sealer, { ...letter, checkRef: 'f'.repeat(32) })).rejects.toThrow();
    });
  });

  it('fast-check: arbitrary details never produce an untyped error, and never leak the check id', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    const secret = fc.string({ minLength: 10, maxLength: 40 }).map((s) => `tok-${s}`);
    const detail = fc.oneof(
      fc.anything(),
      fc.record(
        {
          provider: fc.oneof(fc.constantFrom('liveness', 'kyc', 'verification'), fc.string()),
          checkId: fc.oneof(secret, fc.anything()),
          clientKey: fc.anything(),
          createdAt: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), fc.anything()),
          retentionClass: fc.oneof(fc.constant('aml-cdd'), fc.anything()),
        },
        { requiredKeys: ['checkId'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(detail, async (d) => {
        const { result, error, output } = await captureOutput(() => startCheck(event(d), deps()));
        if (error !== undefined) {
          expect(error).toBeInstanceOf(ArchiverError);
          expect(error).toBeInstanceOf(InvalidEventError);
        } else {
          expect(['started', 'duplicate']).toContain(result?.status);
        }
        const checkId = (d as { checkId?: unknown } | null)?.checkId;
        if (typeof checkId === 'string' && checkId.startsWith('tok-')) expect(output).not.toContain(checkId);
      }),
      { numRuns: 60 },
    );
  });
});
