/**
 * Query function behind the auditor HTTP API (API Gateway HTTP API, IAM authorisation):
 *   GET /checks?provider=&from=&to=&outcome=&status=&clientKey=|clientKeyHash=&order=&limit=&next=
 *   GET /checks/{provider}/{checkId}?expiresIn=   (checkId: the provider's id or the checkRef)
 *
 * Every request is logged as one structured audit event: who (the IAM caller API Gateway authenticated), what was
 * read (filters, checkRefs returned, the check shown) and the status answered. Never a check id (a liveness id is a
 * bearer token), a clientKey (only its hash) or anything from the provider's answer.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { StorageRejectedError, StorageUnavailableError } from '../common/storage-errors';
import { createS3Client } from '../archive/s3-store';
import {
  DEFAULT_URL_EXPIRY_SECONDS,
  InvalidQueryError,
  MAX_URL_EXPIRY_SECONDS,
  QUERY_PARAMETERS,
  RecordNotFoundError,
  auditDeps,
  findRecord,
  publicRecordOf,
  queryRecords,
  showCheck,
  type AuditDeps,
  type RawQuery,
} from '../audit';
import { requiredEnv, type Env } from '../common/environment';
import { ConfigurationError } from '../common/errors';
import { identifierKeyFromEnv } from '../common/identifier-key';
import { logger as sharedLogger } from '../common/powertools';
import { createDynamoDocumentClient } from '../records/record-store';
import { indexShardsFromEnv } from '../records/runtime';

export const QUERY_ROUTE = 'GET /checks';
export const SHOW_ROUTE = 'GET /checks/{provider}/{checkId}';
/** Rounds of DynamoDB requests (a group's shards in parallel) one API page may make: far below API Gateway's 30 s. */
const MAX_ROUNDS_PER_PAGE = 100;

export interface QueryApiDeps {
  audit: AuditDeps;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Default lifetime of presigned URLs (a request may ask for less or more, up to MAX_URL_EXPIRY_SECONDS). */
  urlExpirySeconds: number;
}

type Event = APIGatewayProxyEventV2WithIAMAuthorizer;
type Result = APIGatewayProxyStructuredResultV2;

interface AuditEvent {
  action: 'query' | 'show' | 'unknown';
  caller: { userArn?: string; accountId?: string; principalOrgId?: string };
  requestId?: string;
  status: number;
  read?: Record<string, unknown>;
  error?: string;
}

export async function handleRequest(event: Event, deps: QueryApiDeps): Promise<Result> {
  const iam = event.requestContext?.authorizer?.iam;
  const audit: AuditEvent = {
    action: event.routeKey === QUERY_ROUTE ? 'query' : event.routeKey === SHOW_ROUTE ? 'show' : 'unknown',
    caller: dropUndefined({ userArn: iam?.userArn, accountId: iam?.accountId, principalOrgId: iam?.principalOrgId ?? undefined }),
    requestId: event.requestContext?.requestId,
    status: 500,
  };
  try {
    // API Gateway only calls with a SigV4-authenticated caller; anything else did not come through it.
    if (!iam?.userArn) return done(deps, audit, reply(403, { error: 'Forbidden', message: 'an IAM-authenticated caller is required' }));
    if (audit.action === 'query') return done(deps, audit, await query(event, deps, audit));
    if (audit.action === 'show') return done(deps, audit, await show(event, deps, audit));
    return done(deps, audit, reply(404, { error: 'NotFound', message: 'no such route: GET /checks or GET /checks/{provider}/{checkId}' }));
  } catch (error) {
    return done(deps, audit, errorReply(error, audit));
  }
}

async function query(event: Event, deps: QueryApiDeps, audit: AuditEvent): Promise<Result> {
  const params = event.queryStringParameters ?? {};
  const unknown = Object.keys(params).filter((name) => !(QUERY_PARAMETERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new InvalidQueryError(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map(safeName).join(', ')}; accepted: ${QUERY_PARAMETERS.join(', ')}`);
  }
  const page = await queryRecords(deps.audit, params as RawQuery, { maxRounds: MAX_ROUNDS_PER_PAGE });
  audit.read = {
    filters: page.filters,
    returned: page.items.length,
    checks: page.items.map((record) => `${record.provider}#${record.checkRef}`),
    more: page.next !== undefined,
  };
  return reply(200, { items: page.items.map(publicRecordOf), ...(page.next ? { next: page.next } : {}), filters: page.filters });
}

async function show(event: Event, deps: QueryApiDeps, audit: AuditEvent): Promise<Result> {
  const { provider, checkId } = event.pathParameters ?? {};
  audit.read = { provider: safeName(provider ?? '') };
  const params = event.queryStringParameters ?? {};
  const unknown = Object.keys(params).filter((name) => name !== 'expiresIn');
  if (unknown.length > 0) throw new InvalidQueryError(`unknown parameter ${safeName(unknown[0]!)}; accepted: expiresIn`);
  const expiresIn = params.expiresIn === undefined ? deps.urlExpirySeconds : expiryOf(params.expiresIn);
  const record = await findRecord(deps.audit, provider, checkId);
  const shown = await showCheck(deps.audit, record, { expiresIn });
  audit.read = {
    provider: record.provider,
    checkRef: record.checkRef,
    result: shown.result !== undefined,
    presignedImages: shown.images.length,
    urlsExpireAt: shown.urlsExpireAt,
  };
  return reply(200, shown);
}

function expiryOf(raw: string): number {
  const seconds = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= 1 && seconds <= MAX_URL_EXPIRY_SECONDS)) {
    throw new InvalidQueryError(`expiresIn must be a whole number of seconds from 1 to ${MAX_URL_EXPIRY_SECONDS}`);
  }
  return seconds;
}

function errorReply(error: unknown, audit: AuditEvent): Result {
  const name = (error as { name?: unknown })?.name;
  audit.error = typeof name === 'string' ? name : 'UnknownError';
  if (error instanceof InvalidQueryError) return reply(400, { error: 'BadRequest', message: error.message });
  if (error instanceof RecordNotFoundError) return reply(404, { error: 'NotFound', message: error.message });
  if (error instanceof StorageUnavailableError) return reply(503, { error: 'ServiceUnavailable', message: 'the archive is busy: try again' });
  if (error instanceof StorageRejectedError) audit.error = `${audit.error}: ${error.message}`;
  return reply(500, { error: 'InternalError', message: 'the request failed', requestId: audit.requestId });
}

function done(deps: QueryApiDeps, audit: AuditEvent, result: Result): Result {
  audit.status = result.statusCode ?? 200;
  const log = audit.status >= 500 ? deps.logger.error : audit.status >= 400 ? deps.logger.warn : deps.logger.info;
  log.call(deps.logger, 'auditor access', { audit });
  return result;
}

function reply(statusCode: number, body: unknown): Result {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify(body),
  };
}

/** A parameter name as echoed back: short and plain, whatever the caller sent. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '?').slice(0, 32);
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The function's wiring from the variables the stack sets (lib/constructs/auditor-api.ts). */
export function queryApiDepsFromEnv(env: Env): QueryApiDeps {
  const expiry = env.URL_EXPIRY_SECONDS ? Number(env.URL_EXPIRY_SECONDS) : DEFAULT_URL_EXPIRY_SECONDS;
  if (!Number.isInteger(expiry) || expiry < 1 || expiry > MAX_URL_EXPIRY_SECONDS) {
    throw new ConfigurationError(`environment variable URL_EXPIRY_SECONDS must be 1-${MAX_URL_EXPIRY_SECONDS}`);
  }
  return {
    audit: auditDeps({
      dynamo: createDynamoDocumentClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
      tableName: requiredEnv(env, 'TABLE_NAME'),
      s3: createS3Client({ endpoint: env.AWS_ENDPOINT_URL_S3 }),
      bucket: requiredEnv(env, 'BUCKET_NAME'),
      identifierKey: identifierKeyFromEnv(env),
      indexShards: indexShardsFromEnv(env),
    }),
    logger: sharedLogger,
    urlExpirySeconds: expiry,
  };
}

let deps: QueryApiDeps | undefined;

/** Lambda entry point (API Gateway HTTP API, payload format 2.0). */
export const handler = (event: Event): Promise<Result> => {
  deps ??= queryApiDepsFromEnv(process.env);
  return handleRequest(event, deps);
};
