import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { ArchiverError } from '../../../lambdas/common/errors';
import { InvalidEventError } from '../../../lambdas/events/check-created';
import { handler, StartExecutionFailedError } from '../../../lambdas/handlers/start';
import { TEST_KEY, TEST_KEY_SECRET } from '../../support/identifier-key';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:AuditArchiver-Workflow';
const TOKEN = 'lt_4f0c1e9a7b2d-very-secret-liveness-token';
const REF = checkRefOf(TEST_KEY, 'liveness', TOKEN);

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

describe('start handler (mocked SFN client)', () => {
  let sfn: AwsClientStub<SFNClient>;

  beforeEach(() => {
    process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
    process.env.IDENTIFIER_KEY = TEST_KEY_SECRET;
    sfn = mockClient(SFNClient);
  });
  afterEach(() => {
    sfn.restore();
    delete process.env.STATE_MACHINE_ARN;
    delete process.env.IDENTIFIER_KEY;
  });

  it('starts the workflow with the deterministic name and the check as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:liveness-${REF}`, startDate: new Date() });
    const { result, output } = await captureOutput(() => handler(event({ provider: 'liveness', checkId: TOKEN })));
    expect(result).toMatchObject({ status: 'started', provider: 'liveness', checkRef: REF, executionName: `liveness-${REF}` });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]!.args[0].input;
    expect(sent.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(sent.name).toBe(`liveness-${REF}`);
    expect(JSON.parse(sent.input!)).toEqual({
      check: { provider: 'liveness', checkId: TOKEN, checkRef: REF, createdAt: '2026-03-04T05:06:07Z' },
    });
    expect(metricsIn(output)).toEqual(['ChecksStarted']);
    expect(output).toContain(REF);
    expect(output).not.toContain(TOKEN);
  });

  it('treats ExecutionAlreadyExists as done: a duplicate event never starts a second workflow', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const { result, output } = await captureOutput(() => handler(event({ provider: 'liveness', checkId: TOKEN })));
    expect(result).toMatchObject({ status: 'duplicate', checkRef: REF });
    expect(metricsIn(output)).toEqual(['DuplicateEvents']);
    expect(output).not.toContain(TOKEN);
  });

  it('fails with a typed, retryable error when StartExecution fails otherwise', async () => {
    sfn.on(StartExecutionCommand).rejects(
      new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
    );
    const { error, output } = await captureOutput(() => handler(event({ provider: 'liveness', checkId: TOKEN })));
    expect(error).toBeInstanceOf(StartExecutionFailedError);
    expect(error).toMatchObject({ name: 'StartExecutionFailedError', retryable: true });
    expect((error as Error).message).toBe('StartExecution failed: ThrottlingException (HTTP 400)');
    expect(output).not.toContain(TOKEN);
  });

  it('rejects an invalid event with InvalidEventError, counts it, and logs paths without values', async () => {
    const { error, output } = await captureOutput(() =>
      handler(event({ provider: 'selfie', checkId: TOKEN, createdAt: `at ${TOKEN}` })),
    );
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).issues).toEqual([
      { path: 'detail.provider', code: 'invalid_value' },
      { path: 'detail.createdAt', code: 'invalid_format' },
    ]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(metricsIn(output)).toEqual(['InvalidEvents']);
    expect(output).toContain('Invalid Check Created event');
    expect(output).toContain('detail.provider');
    expect(output).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('fails with ConfigurationError when STATE_MACHINE_ARN is missing', async () => {
    delete process.env.STATE_MACHINE_ARN;
    const { error } = await captureOutput(() => handler(event({ provider: 'kyc', checkId: 'abc' })));
    expect(error).toMatchObject({ name: 'ConfigurationError' });
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
        const { result, error, output } = await captureOutput(() => handler(event(d)));
        if (error !== undefined) {
          expect(error).toBeInstanceOf(ArchiverError);
          expect(error).toBeInstanceOf(InvalidEventError);
        } else {
          expect(result?.status).toBe('started');
        }
        const checkId = (d as { checkId?: unknown } | null)?.checkId;
        if (typeof checkId === 'string' && checkId.startsWith('tok-')) expect(output).not.toContain(checkId);
      }),
      { numRuns: 200 },
    );
  });
});

describe('start handler against a real SFN endpoint (AWS_ENDPOINT_URL_SFN)', () => {
  let server: Server;
  const requests: { target: string; body: Record<string, unknown> }[] = [];
  const saved: Record<string, string | undefined> = {};
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    STATE_MACHINE_ARN,
    IDENTIFIER_KEY: TEST_KEY_SECRET,
  };

  async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }

  beforeAll(async () => {
    const started = new Set<string>();
    server = createServer(async (req, res) => {
      const parsed = await body(req);
      requests.push({ target: String(req.headers['x-amz-target']), body: parsed });
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      const name = String(parsed.name);
      if (started.has(name)) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists', message: 'Execution Already Exists' }));
        return;
      }
      started.add(name);
      res.end(JSON.stringify({ executionArn: `${parsed.stateMachineArn}:${name}`, startDate: 1_767_225_600 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    for (const [k, v] of Object.entries({ ...env, AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${port}` })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends StartExecution to the endpoint, and a repeated event comes back as a duplicate', async () => {
    vi.resetModules();
    // A fresh module: its SFN client is created at init, after AWS_ENDPOINT_URL_SFN is set.
    const start = await import('../../../lambdas/handlers/start');
    const first = await captureOutput(() => start.handler(event({ provider: 'kyc', checkId: 'session-1', clientKey: 'c-1' })));
    const again = await captureOutput(() => start.handler(event({ provider: 'kyc', checkId: 'session-1', clientKey: 'c-1' })));

    expect(first.result).toMatchObject({ status: 'started', executionArn: `${STATE_MACHINE_ARN}:kyc-${checkRefOf(TEST_KEY, 'kyc', 'session-1')}` });
    expect(again.result).toMatchObject({ status: 'duplicate' });
    expect(requests).toHaveLength(2);
    expect(requests[0]!.target).toBe('AWSStepFunctions.StartExecution');
    expect(requests[0]!.body).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, name: `kyc-${checkRefOf(TEST_KEY, 'kyc', 'session-1')}` });
    expect(JSON.parse(String(requests[0]!.body.input)).check).toMatchObject({ provider: 'kyc', checkId: 'session-1', clientKey: 'c-1' });
  });
});
