/**
 * Which records an auditor may see, and how they look. A record past its retainUntil is gone for every reader, even
 * while DynamoDB's TTL sweep (days late) has not deleted it yet; a legal hold suspends that, as it suspends the TTL.
 */
import { checkRefOf } from '../common/check-ref';
import { PROVIDERS, type ProviderName } from '../providers/check-status';
import type { CheckRecord } from '../records/record';
import type { AuditDeps } from './deps';
import { InvalidQueryError, RecordNotFoundError } from './errors';

/** The record as auditors get it: index keys and bookkeeping dropped. */
export type PublicRecord = Omit<CheckRecord, 'pk' | 'schemaVersion' | 'statusRank' | 'providerDay' | 'providerOutcome' | 'ttl'>;

export function isVisible(record: Pick<CheckRecord, 'retainUntil' | 'legalHold'>, now: Date): boolean {
  return record.legalHold === true || record.retainUntil > now.toISOString();
}

export function publicRecordOf(record: CheckRecord): PublicRecord {
  const { pk: _pk, schemaVersion: _v, statusRank: _r, providerDay: _d, providerOutcome: _o, ttl: _t, ...rest } = record;
  return rest;
}

export function parseProvider(value: unknown, parameter = 'provider'): ProviderName {
  if (typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value)) return value as ProviderName;
  throw new InvalidQueryError(`${parameter} must be one of ${PROVIDERS.join(', ')}`);
}

const CHECK_REF = /^[0-9a-f]{32}$/;

/**
 * The visible record of a check named by the provider's id (hashed here, as the archive does) or by its checkRef (what
 * query results show). Throws InvalidQueryError for an unusable name and RecordNotFoundError when there is none, or
 * only one past its retention. Messages never contain the name: a liveness id is a bearer token.
 */
export async function findRecord(deps: AuditDeps, providerName: unknown, idOrRef: unknown): Promise<CheckRecord> {
  const provider = parseProvider(providerName);
  if (typeof idOrRef !== 'string' || idOrRef.length === 0 || idOrRef.length > 512 || /[\u0000-\u001f\u007f]/.test(idOrRef)) {
    throw new InvalidQueryError('checkId must be the provider check id or the checkRef (1-512 printable characters)');
  }
  let record = await deps.records.get(provider, checkRefOf(provider, idOrRef));
  if (!record && CHECK_REF.test(idOrRef)) record = await deps.records.get(provider, idOrRef);
  if (!record || !isVisible(record, deps.now())) {
    throw new RecordNotFoundError(`no ${provider} check with that id or checkRef (or it is past its retention)`);
  }
  return record;
}
