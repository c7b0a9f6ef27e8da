/**
 * What `npm start -- --events FILE` accepts, turned into the EventBridge events the start function receives. People
 * write events by hand or copy them from `aws events put-events`, so each JSONL line (or element) may be:
 *   - a full EventBridge event;
 *   - an envelope without `id`, `time`, `version`, `account`, `region` or `resources`: filled in as EventBridge would;
 *   - a put-events entry `{Source, DetailType, Detail: "<JSON string>", Time?, Resources?, EventBusName?}`;
 *   - just the `detail` (the `Check Created` detail-type and the default source are added).
 * A whole file may also be a put-events request `{"Entries": [...]}` or a JSON array of the above.
 * Anything else goes through as it is, and the start handler rejects it with its usual typed error.
 */
import { randomUUID } from 'node:crypto';
import { CHECK_CREATED_DETAIL_TYPE, DEFAULT_EVENT_SOURCE } from '../lambdas/events/check-created';

export interface EventDefaults {
  region: string;
  account: string;
  now?: () => Date;
  newId?: () => string;
}

export interface InputEvent {
  /** `line 3` (JSONL) or `entry 3` (a request or an array). */
  label: string;
  event: unknown;
}

/** The account EventBridge would stamp on local events: the local Step Functions service uses the same one. */
export const LOCAL_ACCOUNT = '000000000000';

/** Every event in a file's text, in order. */
export function eventsFromText(text: string, defaults: EventDefaults): InputEvent[] {
  const whole = parseJson(text.trim());
  const entries = Array.isArray(whole) ? whole : isObject(whole) && Array.isArray(whole.Entries) ? whole.Entries : undefined;
  if (entries) return entries.map((entry, i) => ({ label: `entry ${i + 1}`, event: toEventBridgeEvent(entry, defaults) }));
  // One event, possibly pretty-printed over several lines.
  if (isObject(whole)) return [{ label: 'event 1', event: toEventBridgeEvent(whole, defaults) }];
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line, i) => ({ label: `line ${i + 1}`, event: toEventBridgeEvent(parseJson(line), defaults) }));
}

/** One input as the event EventBridge would deliver for it (see the module comment). */
export function toEventBridgeEvent(input: unknown, defaults: EventDefaults): unknown {
  if (isObject(input) && 'detail' in input) return envelope(input, defaults);
  if (isObject(input) && ('Detail' in input || 'DetailType' in input || 'Source' in input)) return fromPutEventsEntry(input, defaults);
  return envelope({ 'detail-type': CHECK_CREATED_DETAIL_TYPE, source: DEFAULT_EVENT_SOURCE, detail: input }, defaults);
}

function fromPutEventsEntry(entry: Record<string, unknown>, defaults: EventDefaults): unknown {
  const { Source, DetailType, Detail, Time, Resources } = entry;
  // EventBusName is not checked: local mode has one bus, and the start function is its only target.
  const time = eventTime(Time);
  return envelope(
    {
      ...(Source !== undefined ? { source: Source } : {}),
      ...(DetailType !== undefined ? { 'detail-type': DetailType } : {}),
      ...(time !== undefined ? { time } : {}),
      ...(Resources !== undefined ? { resources: Resources } : {}),
      // put-events carries Detail as a JSON string; one that does not parse stays a string and is rejected as such.
      detail: typeof Detail === 'string' ? (parseJson(Detail) ?? Detail) : Detail,
    },
    defaults,
  );
}

/**
 * Fills what EventBridge adds to every event; fields the event has are kept. An envelope without source or
 * detail-type stays without: EventBridge would not have matched it to the rule, and the start handler rejects it.
 */
function envelope(event: Record<string, unknown>, defaults: EventDefaults): Record<string, unknown> {
  return {
    version: '0',
    id: (defaults.newId ?? randomUUID)(),
    account: defaults.account,
    time: isoSeconds((defaults.now ?? (() => new Date()))()),
    region: defaults.region,
    resources: [],
    ...event,
  };
}

/** put-events `Time`: an ISO string or epoch seconds (as the AWS CLI takes it); anything else is left to `now`. */
function eventTime(value: unknown): string | undefined {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
  // Date's own range: beyond it toISOString throws.
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? isoSeconds(new Date(ms)) : undefined;
}

/** EventBridge's `time`: ISO-8601 UTC to the second. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
