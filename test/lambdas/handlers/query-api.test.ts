import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { QUERY_ROUTE, SHOW_ROUTE, handleRequest, queryApiDepsFromEnv, type QueryApiDeps } from '../../../lambdas/handlers/query-api';
import { createDynamoDocumentClient } from '../../../lambdas/records/record-store';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { buildArchive, daysAgo, type Fixture } from '../audit/archive-fixture';

const CALLER = 'arn:aws:sts::111122223333:assumed-role/Auditor/auditor-session';

let emulators: Emulators;
let fixture: Fixture;
beforeAll(async () => {
  emulators = await startEmulators();
  fixture = await buildArchive(emulators, [
    { label: 'liveness', script: { provider: 'liveness', auditFrames: 2 }, day: daysAgo(2) },
    { label: 'kyc', script: { provider: 'kyc', clientKey: 'client-api-1', tasks: [{ type: 'selfie' }] }, day: daysAgo(1) },
    { label: 'expired', script: { provider: 'verification' }, day: daysAgo(400), archivedDaysAgo: 400 },
  ]);
});
afterAll(async () => {
  await fixture?.close();
  await emulators?.close();
});

function event(
  routeKey: string,
  options: { query?: Record<string, string>; path?: Record<string, string>; iam?: boolean } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/checks',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.path ? { pathParameters: options.path } : {}),
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'GET', path: '/checks', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer:
        options.iam === false
          ? (undefined as never)
          : {
              iam: {
                accessKey: 'ASIAEXAMPLE',
                accountId: '111122223333',
                callerId: 'AROAEXAMPLE:auditor-session',
                cognitoIdentity: null as never,
                principalOrgId: 'o-example',
                userArn: CALLER,
                userId: 'AROAEXAMPLE:auditor-session',
              },
            },
    },
  } as APIGatewayProxyEventV2WithIAMAuthorizer;
}

function deps(overrides: Partial<QueryApiDeps> = {}) {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  return { deps: { audit: fixture.audit, logger, urlExpirySeconds: 300, ...overrides }, logger };
}

/** The one audit event a request logged. */
function auditEventOf(logger: ReturnType<typeof deps>['logger']): Record<string, any> {
  const calls = [...logger.info.mock.calls, ...logger.warn.mock.calls, ...logger.error.mock.calls];
  expect(calls).toHaveLength(1);
  expect(calls[0]![0]).toBe('auditor access');
  return calls[0]![1].audit;
}

describe('query API handler', () => {
  it('GET /checks answers the visible records and logs who read which checks, without clientKey or check ids', async () => {
    const { deps: d, logger } = deps();
    const response = await handleRequest(event(QUERY_ROUTE, { query: { clientKey: 'client-api-1' } }), d);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const body = JSON.parse(response.body!);
    expect(body.items.map((r: { checkRef: string }) => r.checkRef)).toEqual([fixture.checks.kyc!.record.checkRef]);
    expect(body.items[0]).not.toHaveProperty('pk');
    expect(body.next).toBeUndefined();

    const audit = auditEventOf(logger);
    expect(audit).toMatchObject({
      action: 'query',
      caller: { userArn: CALLER, accountId: '111122223333', principalOrgId: 'o-example' },
      requestId: 'req-1',
      status: 200,
      read: { returned: 1, checks: [`kyc#${fixture.checks.kyc!.record.checkRef}`], more: false },
    });
    const logged = JSON.stringify(logger.info.mock.calls);
    expect(logged).not.toContain('client-api-1');
    for (const { check } of Object.values(fixture.checks)) expect(logged).not.toContain(check.checkId);
  });

  it('never answers a record past its retention', async () => {
    const { deps: d } = deps();
    const body = JSON.parse((await handleRequest(event(QUERY_ROUTE, { query: { provider: 'verification', from: daysAgo(500) } }), d)).body!);
    expect(body.items).toEqual([]);
  });

  it('pages with next', async () => {
    const { deps: d } = deps();
    const first = JSON.parse((await handleRequest(event(QUERY_ROUTE, { query: { limit: '1' } }), d)).body!);
    expect(first.items).toHaveLength(1);
    const second = JSON.parse((await handleRequest(event(QUERY_ROUTE, { query: { limit: '1', next: first.next } }), d)).body!);
    expect(second.items.map((r: { provider: string }) => r.provider)).toEqual(['kyc']);
  });

  it.each([
    [{ from: 'yesterday' }, /^from must be a date \(2026-03-19\) or a date-time with zone/],
    [{ limit: '5000' }, /^limit must be a whole number from 1 to 1000$/],
    [{ provider: 'passport' }, /^provider must be one of liveness, kyc, verification$/],
    [{ next: 'not-a-token' }, /^next is not a valid paging token$/],
    [{ form: '2026-01-01' }, /^unknown parameter form; accepted: provider, from, to/],
  ])('answers 400 with a clear message for %j', async (query, message) => {
    const { deps: d, logger } = deps();
    const response = await handleRequest(event(QUERY_ROUTE, { query }), d);
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body!);
    expect(body.error).toBe('BadRequest');
    expect(body.message).toMatch(message);
    expect(auditEventOf(logger)).toMatchObject({ action: 'query', status: 400, error: 'InvalidQueryError', caller: { userArn: CALLER } });
  });

  it('GET /checks/{provider}/{checkId} shows one check with presigned image URLs, by id or checkRef', async () => {
    const { check, record } = fixture.checks.liveness!;
    const { deps: d, logger } = deps();
    const response = await handleRequest(event(SHOW_ROUTE, { path: { provider: 'liveness', checkId: check.checkId }, query: { expiresIn: '60' } }), d);
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body!);
    expect(body.record).toMatchObject({ provider: 'liveness', checkRef: record.checkRef, outcome: 'passed' });
    expect(body.images.length).toBeGreaterThan(0);
    for (const image of body.images) expect(new URL(image.url).searchParams.get('X-Amz-Expires')).toBe('60');
    const fetched = await fetch(body.images[0].url);
    expect(fetched.status).toBe(200);
    const audit = auditEventOf(logger);
    expect(audit).toMatchObject({ action: 'show', status: 200, read: { provider: 'liveness', checkRef: record.checkRef, presignedImages: body.images.length } });
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain(check.checkId);

    const byRef = await handleRequest(event(SHOW_ROUTE, { path: { provider: 'liveness', checkId: record.checkRef } }), deps().deps);
    expect(JSON.parse(byRef.body!).record.checkRef).toBe(record.checkRef);
  });

  it('answers 404 for an unknown check and for one past its retention, without echoing the id', async () => {
    for (const [provider, checkId] of [
      ['kyc', 'a2c4e6f0-0b4d-11ef-9a61-0242ac120002'],
      ['verification', fixture.checks.expired!.check.checkId],
    ] as const) {
      const { deps: d, logger } = deps();
      const response = await handleRequest(event(SHOW_ROUTE, { path: { provider, checkId } }), d);
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body!)).toEqual({ error: 'NotFound', message: `no ${provider} check with that id or checkRef (or it is past its retention)` });
      expect(auditEventOf(logger)).toMatchObject({ action: 'show', status: 404, read: { provider } });
      expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(checkId);
    }
  });

  it('answers 400 for an unknown provider or expiry, 404 for another route, 403 without an IAM caller', async () => {
    const show = (path: Record<string, string>, query?: Record<string, string>) => handleRequest(event(SHOW_ROUTE, { path, ...(query ? { query } : {}) }), deps().deps);
    expect((await show({ provider: 'passport', checkId: 'x' })).statusCode).toBe(400);
    const expiry = await show({ provider: 'kyc', checkId: 'x' }, { expiresIn: '86400' });
    expect(JSON.parse(expiry.body!).message).toBe('expiresIn must be a whole number of seconds from 1 to 3600');
    expect((await handleRequest(event('GET /other'), deps().deps)).statusCode).toBe(404);
    const { deps: d, logger } = deps();
    const anonymous = await handleRequest(event(QUERY_ROUTE, { iam: false }), d);
    expect(anonymous.statusCode).toBe(403);
    expect(auditEventOf(logger)).toMatchObject({ status: 403, caller: {} });
  });

  it('answers 503 when DynamoDB is unavailable, 500 without details when it refuses', async () => {
    const dynamo = createDynamoDocumentClient({ endpoint: emulators.dynamoEndpoint });
    const mock = mockClient(dynamo);
    mock.on(QueryCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const { deps: d, logger } = deps({ audit: { ...fixture.audit, dynamo } });
    const busy = await handleRequest(event(QUERY_ROUTE), d);
    expect(busy.statusCode).toBe(503);
    expect(auditEventOf(logger)).toMatchObject({ status: 503, error: 'StorageUnavailableError' });

    mock.on(QueryCommand).rejects(Object.assign(new Error('User arn:aws:iam::1:role/x is not authorized'), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const denied = deps({ audit: { ...fixture.audit, dynamo } });
    const failed = await handleRequest(event(QUERY_ROUTE), denied.deps);
    expect(failed.statusCode).toBe(500);
    expect(JSON.parse(failed.body!)).toEqual({ error: 'InternalError', message: 'the request failed', requestId: 'req-1' });
    expect(auditEventOf(denied.logger)).toMatchObject({ status: 500, error: 'StorageRejectedError: DynamoDB Query failed: AccessDeniedException (HTTP 400)' });
    mock.restore();
    dynamo.destroy();
  });

  it('reads its configuration from the environment the stack sets', () => {
    expect(() => queryApiDepsFromEnv({ BUCKET_NAME: 'b' })).toThrow(ConfigurationError);
    expect(() => queryApiDepsFromEnv({ TABLE_NAME: 't', BUCKET_NAME: 'b', URL_EXPIRY_SECONDS: '7200' })).toThrow(/URL_EXPIRY_SECONDS must be 1-3600/);
    const configured = queryApiDepsFromEnv({ TABLE_NAME: 't', BUCKET_NAME: 'b', URL_EXPIRY_SECONDS: '120' });
    expect(configured).toMatchObject({ urlExpirySeconds: 120, audit: { tableName: 't', bucket: 'b' } });
  });
});
