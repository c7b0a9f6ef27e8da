import { describe, expect, it } from 'vitest';
import { createUuidV1Generator, isUuidV1, uuidV1EpochMs } from '../../../local/fake-providers';
import { newLivenessToken, newVerificationId } from '../../../local/fake-providers/ids';

describe('ids', () => {
  it('generates RFC 4122 version-1 UUIDs carrying the given time', () => {
    const next = createUuidV1Generator();
    const at = Date.parse('2026-03-19T10:31:06.123Z');
    const id = next(at);
    expect(isUuidV1(id)).toBe(true);
    expect(id[14]).toBe('1'); // version
    expect('89ab').toContain(id[19]); // RFC 4122 variant
    expect(parseInt(id.slice(24, 26), 16) & 1).toBe(1); // random node: multicast bit
    expect(uuidV1EpochMs(id)).toBe(at);
  });

  it('stays unique and time-ordered for many ids in the same millisecond, and when time goes back', () => {
    const next = createUuidV1Generator();
    const at = Date.parse('2026-01-01T00:00:00Z');
    const ids = Array.from({ length: 5000 }, () => next(at));
    ids.push(next(at - 1000));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isUuidV1(id))).toBe(true);
  });

  it('rejects non-v1 UUIDs', () => {
    expect(isUuidV1('550e8400-e29b-41d4-a716-446655440000')).toBe(false); // v4 (the doc's own example)
    expect(isUuidV1('not-a-uuid')).toBe(false);
    expect(() => uuidV1EpochMs('550e8400-e29b-41d4-a716-446655440000')).toThrow(RangeError);
  });

  it('makes unguessable liveness tokens and ver_ ids', () => {
    const tokens = new Set(Array.from({ length: 100 }, newLivenessToken));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newVerificationId()).toMatch(/^ver_[0-9a-f]{16}$/);
  });
});
