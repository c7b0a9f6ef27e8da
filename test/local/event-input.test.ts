/**
 * `npm start -- --events FILE`: what a person writes or copies from `aws events put-events` becomes the event
 * EventBridge would deliver, and the real start function's parser accepts it (or rejects it with its typed error).
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventError, parseCheckCreated } from '../../lambdas/events/check-created';
import { eventsFromText, toEventBridgeEvent, type EventDefaults } from '../../local/event-input';

let ids = 0;
const defaults: EventDefaults = {
  region: 'us-east-1',
  account: '000000000000',
  now: () => new Date('2026-11-29T11:24:33.456Z'),
  newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
};
const detail = { provider: 'verification', checkId: 'ver_abc123def456' };
const filled = { version: '0', account: '000000000000', region: 'us-east-1', resources: [], time: '2026-11-29T11:24:33Z' };

describe('toEventBridgeEvent', () => {
  it('keeps a full EventBridge event as it is', () => {
    const event = {
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': 'Check Created',
      source: 'audit-archiver.checks',
      account: '111122223333',
      time: '2026-01-02T03:04:05Z',
      region: 'eu-west-1',
      resources: ['arn:aws:x'],
      detail,
    };
    expect(toEventBridgeEvent(event, defaults)).toEqual(event);
  });

  it('fills id, time, version, account, region and resources into an envelope without them', () => {
    const event = toEventBridgeEvent({ source: 'audit-archiver.checks', 'detail-type': 'Check Created', detail }, defaults) as Record<string, unknown>;
    expect(event).toEqual({ ...filled, id: expect.stringMatching(/^[0-9a-f-]{36}$/), source: 'audit-archiver.checks', 'detail-type': 'Check Created', detail });
    expect(parseCheckCreated(event).detail).toEqual(detail);
    // Without an injected generator: a real UUID each time.
    const a = toEventBridgeEvent({ detail }, { region: 'r', account: 'a' }) as { id: string; time: string };
    const b = toEventBridgeEvent({ detail }, { region: 'r', account: 'a' }) as { id: string };
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('converts a put-events entry: Detail parsed from its JSON string, Time and Resources carried over', () => {
    const entry = {
      Source: 'audit-archiver.checks',
      DetailType: 'Check Created',
      Detail: JSON.stringify(detail),
      EventBusName: 'default',
      Time: '2026-03-19T10:31:06.789Z',
      Resources: ['arn:aws:kyc:session'],
    };
    const event = toEventBridgeEvent(entry, defaults);
    expect(event).toEqual({ ...filled, id: expect.any(String), source: 'audit-archiver.checks', 'detail-type': 'Check Created', time: '2026-03-19T10:31:06Z', resources: ['arn:aws:kyc:session'], detail });
    expect(parseCheckCreated(event)).toMatchObject({ time: '2026-03-19T10:31:06Z', detail });
    expect((toEventBridgeEvent({ ...entry, Time: 1_774_000_000 }, defaults) as { time: string }).time).toBe('2026-03-20T09:46:40Z');
    expect((toEventBridgeEvent({ ...entry, Time: 'yesterday' }, defaults) as { time: string }).time).toBe(filled.time);
    expect((toEventBridgeEvent({ ...entry, Time: 1e300 }, defaults) as { time: string }).time).toBe(filled.time);
  });

  it('leaves a Detail that is not JSON as a string, so the start function rejects it with its typed error', () => {
    const event = toEventBridgeEvent({ Source: 'audit-archiver.checks', DetailType: 'Check Created', Detail: '{"provider": "kyc",' }, defaults);
    expect((event as { detail: unknown }).detail).toBe('{"provider": "kyc",');
    expect(() => parseCheckCreated(event)).toThrow(InvalidEventError);
    // An entry without DetailType is not an event the rule would match: rejected too, naming the field.
    expect(() => parseCheckCreated(toEventBridgeEvent({ Source: 'audit-archiver.checks', Detail: JSON.stringify(detail) }, defaults))).toThrow(/detail-type/);
  });

  it('wraps a bare detail (or anything else) in an envelope with the contract\'s source and detail-type', () => {
    expect(parseCheckCreated(toEventBridgeEvent(detail, defaults))).toMatchObject({ source: 'audit-archiver.checks', 'detail-type': 'Check Created', detail });
    expect(() => parseCheckCreated(toEventBridgeEvent(undefined, defaults))).toThrow(InvalidEventError);
    expect(() => parseCheckCreated(toEventBridgeEvent('not json', defaults))).toThrow(InvalidEventError);
  });
});

describe('eventsFromText', () => {
  const entry = { Source: 'audit-archiver.checks', DetailType: 'Check Created', Detail: JSON.stringify(detail) };
  const noIdNoTime = { source: 'audit-archiver.checks', 'detail-type': 'Check Created', detail };

  it('reads JSONL, one event per non-empty line, whatever form each line takes', () => {
    const text = [JSON.stringify(entry), '', JSON.stringify(noIdNoTime), '  ', JSON.stringify(detail), '{broken'].join('\n');
    const events = eventsFromText(text, defaults);
    expect(events.map((e) => e.label)).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(events.slice(0, 3).map((e) => parseCheckCreated(e.event).detail)).toEqual([detail, detail, detail]);
    expect(() => parseCheckCreated(events[3]!.event)).toThrow(InvalidEventError);
  });

  it('reads a whole put-events request, a JSON array, or one pretty-printed event', () => {
    const request = eventsFromText(JSON.stringify({ Entries: [entry, { ...entry, Detail: JSON.stringify({ ...detail, checkId: 'ver_2' }) }] }, null, 2), defaults);
    expect(request.map((e) => e.label)).toEqual(['entry 1', 'entry 2']);
    expect(request.map((e) => parseCheckCreated(e.event).detail.checkId)).toEqual(['ver_abc123def456', 'ver_2']);
    expect(eventsFromText(JSON.stringify([entry, detail]), defaults).map((e) => parseCheckCreated(e.event).detail)).toEqual([detail, detail]);
    const pretty = eventsFromText(JSON.stringify(noIdNoTime, null, 2), defaults);
    expect(pretty).toHaveLength(1);
    expect(parseCheckCreated(pretty[0]!.event).detail).toEqual(detail);
  });
});
