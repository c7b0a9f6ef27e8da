/**
 * Query filters as the CLI and the HTTP API receive them (strings), validated into one shape. Every message names
 * the parameter and what it accepts, never a value that could be a clientKey.
 */
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import { STATUS_RANK, type RecordStatus } from '../records/record';
import { InvalidQueryError } from './errors';
import { parseProvider } from './records';

/** Parameter names shared by the CLI flags and the API's query string. */
export const QUERY_PARAMETERS = ['provider', 'from', 'to', 'outcome', 'status', 'clientKey', 'clientKeyHash', 'order', 'limit', 'next'] as const;
export type RawQuery = Partial<Record<(typeof QUERY_PARAMETERS)[number], string | undefined>>;

export interface QueryFilters {
  providers: ProviderName[];
  /** ISO-8601 bounds of createdAt, inclusive. */
  from: string;
  to: string;
  outcomes?: string[];
  statuses?: RecordStatus[];
  clientKeyHash?: string;
  order: 'asc' | 'desc';
}

export interface PageRequest {
  limit: number;
  next?: string;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** A query by day without --from looks back this far from --to. */
export const DEFAULT_LOOKBACK_DAYS = 30;
/** Longest range a query by day covers (one DynamoDB partition per provider and day). */
export const MAX_DAYS = 3_660;

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const WORD = /^[A-Za-z0-9_.:-]{1,64}$/;
const HASH = /^[0-9a-f]{32}$/;

export interface ParsedQuery {
  filters: QueryFilters;
  page: PageRequest;
  /** Bounds the caller left out (the range a paging token carries then applies). */
  defaulted: { from: boolean; to: boolean };
}

/**
 * Validates raw parameters. `now` sets the default `to`; a range carried by a paging token is applied in query.ts.
 * `hashSubject` turns a clientKey into the keyed hash the records carry (needed only when clientKey is given).
 */
export function parseQuery(raw: RawQuery, now: Date, hashSubject?: (clientKey: string) => string): ParsedQuery {
  // Canonical order: results of one day come provider by provider, and tokens do not depend on how the list was typed.
  const named = raw.provider ? list(raw.provider).map((p) => parseProvider(p)) : PROVIDERS;
  const providers = PROVIDERS.filter((provider) => named.includes(provider));
  const outcomes = raw.outcome ? unique(list(raw.outcome).map((o) => word(o, 'outcome'))) : undefined;
  const statuses = raw.status ? unique(list(raw.status).map(statusOf)) : undefined;
  if (raw.clientKey !== undefined && raw.clientKeyHash !== undefined) {
    throw new InvalidQueryError('give clientKey or clientKeyHash, not both');
  }
  let clientKeyHash: string | undefined;
  if (raw.clientKey !== undefined) {
    if (raw.clientKey.length < 1 || raw.clientKey.length > 128) throw new InvalidQueryError('clientKey must be 1-128 characters (the subjectKey or KYC clientKey)');
    if (!hashSubject) throw new InvalidQueryError('clientKey needs the identifier key: give clientKeyHash instead');
    clientKeyHash = hashSubject(raw.clientKey);
  } else if (raw.clientKeyHash !== undefined) {
    if (!HASH.test(raw.clientKeyHash)) throw new InvalidQueryError('clientKeyHash must be 32 lowercase hex characters');
    clientKeyHash = raw.clientKeyHash;
  }
  const order = raw.order === undefined || raw.order === 'asc' ? 'asc' : raw.order === 'desc' ? 'desc' : undefined;
  if (!order) throw new InvalidQueryError('order must be asc or desc');

  const byDay = !clientKeyHash && !outcomes;
  const to = raw.to !== undefined ? bound(raw.to, 'to', 'end') : now.toISOString();
  const from =
    raw.from !== undefined
      ? bound(raw.from, 'from', 'start')
      : byDay
        ? startOfDay(new Date(Date.parse(to) - DEFAULT_LOOKBACK_DAYS * DAY_MS))
        : '0000-01-01T00:00:00.000Z';
  const filters: QueryFilters = {
    providers,
    from,
    to,
    order,
    ...(outcomes ? { outcomes } : {}),
    ...(statuses ? { statuses } : {}),
    ...(clientKeyHash ? { clientKeyHash } : {}),
  };
  checkRange(filters);
  return { filters, page: { limit: limitOf(raw.limit), ...(raw.next ? { next: raw.next } : {}) }, defaulted: { from: raw.from === undefined, to: raw.to === undefined } };
}

/** Throws when from > to, or a query by day would span more than MAX_DAYS. */
export function checkRange(filters: QueryFilters): void {
  if (filters.from > filters.to) throw new InvalidQueryError('from must not be after to');
  if (usesDayIndex(filters) && daysBetween(filters.from, filters.to) > MAX_DAYS) {
    throw new InvalidQueryError(`a date range longer than ${MAX_DAYS} days needs an outcome or clientKey filter`);
  }
}

export function usesDayIndex(filters: QueryFilters): boolean {
  return !filters.clientKeyHash && !filters.outcomes;
}

/** Calendar days (UTC) from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.floor((Date.parse(to.slice(0, 10)) - Date.parse(from.slice(0, 10))) / DAY_MS) + 1;
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new InvalidQueryError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return limit;
}

/** A date (YYYY-MM-DD: the start or end of that UTC day) or a date-time with zone, as a normalized ISO string. */
function bound(raw: string, parameter: 'from' | 'to', side: 'start' | 'end'): string {
  const text = raw.trim();
  if (DATE_ONLY.test(text)) {
    const ms = Date.parse(`${text}T00:00:00.000Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) throw badDate(parameter);
    return new Date(side === 'start' ? ms : ms + DAY_MS - 1).toISOString();
  }
  if (DATE_TIME.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw badDate(parameter);
}

function badDate(parameter: string): InvalidQueryError {
  return new InvalidQueryError(`${parameter} must be a date (2026-03-19) or a date-time with zone (2026-03-19T10:00:00Z)`);
}

function startOfDay(date: Date): string {
  return `${date.toISOString().slice(0, 10)}T00:00:00.000Z`;
}

function statusOf(value: string): RecordStatus {
  if (Object.hasOwn(STATUS_RANK, value)) return value as RecordStatus;
  throw new InvalidQueryError(`status must be one of ${Object.keys(STATUS_RANK).join(', ')}`);
}

function word(value: string, parameter: string): string {
  if (WORD.test(value)) return value;
  throw new InvalidQueryError(`${parameter} must be letters, digits, _ . : - (at most 64)`);
}

function list(value: string): string[] {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (items.length === 0 || items.length > 20) throw new InvalidQueryError('a list filter takes 1-20 comma-separated values');
  return items;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
