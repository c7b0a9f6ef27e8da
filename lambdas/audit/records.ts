/**
 * Which records an auditor may see, and how they look. A record past its retainUntil is gone for every reader, even
 * while DynamoDB's TTL sweep (days late) has not deleted it yet; a legal hold suspends that, as it suspends the TTL.
 */
import { checkRefOf, legacyCheckRefOf, type IdentifierKey } from '../checks/check-ref';
import { ConfigurationError } from '../common/errors';
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import { isTombstone, type CheckRecord } from '../records/record';
import type { AuditDeps } from './deps';
import { InvalidQueryError, RecordErasedError, RecordNotFoundError } from './errors';
import { CHECK_REF_PREFIX, MIN_CHECK_REF_PREFIX, recordsWithRefPrefix } from './ref-prefix';

/** The record as auditors get it: index keys and bookkeeping dropped. */
export type PublicRecord = Omit<CheckRecord, 'pk' | 'schemaVersion' | 'statusRank' | 'providerDay' | 'providerOutcome' | 'ttl'>;

/** Held, waiting for its relationship to end, or inside its retention; never a tombstone. */
export function isVisible(record: Pick<CheckRecord, 'retainUntil' | 'legalHold' | 'relationshipOpen'>, now: Date): boolean {
  if (isTombstone(record)) return false;
  return record.legalHold === true || record.relationshipOpen === true || record.retainUntil > now.toISOString();
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

/** Ambiguous prefixes list at most this many of their matches. */
const LISTED_MATCHES = 10;

export interface FindRecordOptions {
  /**
   * Also accept a unique checkRef prefix (8 to 31 hex characters) when nothing has that id or checkRef. Scans the
   * table (see ref-prefix.ts): the CLI opts in, the HTTP API does not.
   */
  prefix?: boolean;
}

/**
 * The visible record of a check named by the provider's id (hashed here with the identifier key, as the archive does;
 * then with the unkeyed hash of records archived before keyed identifiers), by its checkRef (what query results show)
 * or, with `prefix`, by a unique checkRef prefix. Throws InvalidQueryError for an unusable name or
 * an ambiguous prefix, and RecordNotFoundError when there is none, or only one past its retention. Messages never
 * contain the name (a liveness id is a bearer token); an ambiguous prefix lists the checkRefs it matches (hashes).
 */
export async function findRecord(deps: AuditDeps, providerName: unknown, idOrRef: unknown, options: FindRecordOptions = {}): Promise<CheckRecord> {
  const provider = parseProvider(providerName);
  if (typeof idOrRef !== 'string' || idOrRef.length === 0 || idOrRef.length > 512 || /[\u0000-\u001f\u007f]/.test(idOrRef)) {
    throw new InvalidQueryError('checkId must be the provider check id or the checkRef (1-512 printable characters)');
  }
  const notFound = (hint = '') => new RecordNotFoundError(`no ${provider} check with that id or checkRef (or it is past its retention)${hint}`);
  const key = await keyFor(deps, idOrRef);
  let record = key ? await deps.records.get(provider, checkRefOf(key, provider, idOrRef)) : undefined;
  record ??= await deps.records.get(provider, legacyCheckRefOf(provider, idOrRef));
  if (!record && CHECK_REF.test(idOrRef)) record = await deps.records.get(provider, idOrRef);
  if (record) {
    if (isTombstone(record)) throw new RecordErasedError(record);
    if (!isVisible(record, deps.now())) throw notFound();
    return record;
  }
  if (!options.prefix) throw notFound();
  if (!CHECK_REF_PREFIX.test(idOrRef)) {
    throw notFound(/^[0-9a-f]+$/i.test(idOrRef) && idOrRef.length < MIN_CHECK_REF_PREFIX ? `; a checkRef prefix needs at least ${MIN_CHECK_REF_PREFIX} characters` : '');
  }
  return recordByPrefix(deps, provider, idOrRef.toLowerCase(), notFound);
}

/**
 * The identifier key, needed to name a check by its id. Without one configured (an auditor who was not given the
 * secret) a name that is a checkRef, or a prefix of one, still works.
 */
async function keyFor(deps: AuditDeps, idOrRef: string): Promise<IdentifierKey | undefined> {
  try {
    return await deps.identifierKey.get();
  } catch (error) {
    if (error instanceof ConfigurationError && (CHECK_REF.test(idOrRef) || CHECK_REF_PREFIX.test(idOrRef))) return undefined;
    throw error;
  }
}

async function recordByPrefix(deps: AuditDeps, provider: ProviderName, prefix: string, notFound: () => Error): Promise<CheckRecord> {
  const now = deps.now();
  // Records past retention are hidden here as everywhere: they neither match nor make a prefix ambiguous.
  const refs = (await recordsWithRefPrefix(deps, provider, prefix))
    .filter((match) => isVisible(match, now))
    .map((match) => match.checkRef)
    .sort();
  if (refs.length > 1) {
    const listed = refs.slice(0, LISTED_MATCHES).join(', ');
    const more = refs.length > LISTED_MATCHES ? ` and ${refs.length - LISTED_MATCHES} more` : '';
    throw new InvalidQueryError(`that checkRef prefix matches ${refs.length} ${provider} checks (${listed}${more}): give more characters, or the full checkRef`);
  }
  const record = refs.length === 1 ? await deps.records.get(provider, refs[0]!) : undefined;
  if (!record || !isVisible(record, deps.now())) throw notFound();
  return record;
}
