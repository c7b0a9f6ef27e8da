import { z } from 'zod';
import type { ProviderTimes } from './check-status';

/** ISO-8601 date-time with `Z` or an offset, as the providers document their timestamps. */
export const isoDateTime = z.iso.datetime({ offset: true });

/** Any UUID-shaped string: responses are read tolerantly (the KYC doc's own examples are v4, not v1). */
export const uuidShaped = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

/** Provider times without the keys the provider did not report. */
export function providerTimes(times: ProviderTimes): ProviderTimes {
  return Object.fromEntries(Object.entries(times).filter(([, value]) => value !== undefined));
}

/** Normalizes an ISO-8601 timestamp the schema accepted to UTC `toISOString()` form. */
export function toIso(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}
