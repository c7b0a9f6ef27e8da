import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IdentifierKey, checkRefOf, legacyCheckRefOf, legacyClientKeyHashOf, subjectHashOf } from '../../../lambdas/checks/check-ref';
import { TEST_KEY } from '../../support/identifier-key';

/**
 * A KYC sessionId is a UUID v1: 60 bits of 100-ns ticks since 1582-10-15, a clock sequence and a node. A record's
 * createdAt gives the second; a provider's node and clock sequence repeat across its sessions. What is left is 10^7
 * ticks a second — here a 50,000-tick window (5 ms) the attacker is assumed to know, so the test stays fast.
 */
const GREGORIAN_OFFSET_TICKS = 122_192_928_000_000_000n;

function uuidV1(ticks: bigint, clockSeq: number, node: string): string {
  const low = (ticks & 0xffffffffn).toString(16).padStart(8, '0');
  const mid = ((ticks >> 32n) & 0xffffn).toString(16).padStart(4, '0');
  const high = (((ticks >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, '0');
  const seq = ((clockSeq & 0x3fff) | 0x8000).toString(16).padStart(4, '0');
  return `${low}-${mid}-${high}-${seq}-${node}`;
}

const CREATED_AT_MS = Date.parse('2026-03-19T10:31:06.000Z');
const WINDOW_START = BigInt(CREATED_AT_MS) * 10_000n + GREGORIAN_OFFSET_TICKS;
const WINDOW = 50_000;
const CLOCK_SEQ = 0x2a61;
const NODE = '0242ac120002';
const SESSION_ID = uuidV1(WINDOW_START + 31_337n, CLOCK_SEQ, NODE);

/** Every candidate id in the window whose name, computed by `nameOf`, is `target`. */
function searchWindow(target: string, nameOf: (candidate: string) => string): string[] {
  const found: string[] = [];
  for (let i = 0n; i < BigInt(WINDOW); i++) {
    const candidate = uuidV1(WINDOW_START + i, CLOCK_SEQ, NODE);
    if (nameOf(candidate) === target) found.push(candidate);
  }
  return found;
}

// 30 words, 27,000 candidates: a tiny dictionary, enough to show the difference.
const WORDS = ['my', 'client', 'key', 'customer', 'user', 'id', 'test', 'prod', 'acme', 'account', ...Array.from({ length: 20 }, (_, i) => String(i + 100))];

/** Every word_word_word of the dictionary whose hash is `target`. */
function searchDictionary(target: string, hashOf: (candidate: string) => string): string[] {
  const found: string[] = [];
  for (const a of WORDS) for (const b of WORDS) for (const c of WORDS) {
    const candidate = `${a}_${b}_${c}`;
    if (hashOf(candidate) === target) found.push(candidate);
  }
  return found;
}

describe('keyed identifiers', () => {
  it('a UUID v1 session id falls to a search of its time window from the unkeyed checkRef, not from the keyed one', () => {
    // The attack issue 20 describes, on the old names: the window search recovers the id.
    expect(searchWindow(legacyCheckRefOf('kyc', SESSION_ID), (c) => legacyCheckRefOf('kyc', c))).toEqual([SESSION_ID]);

    const keyed = checkRefOf(TEST_KEY, 'kyc', SESSION_ID);
    // Without the secret, the attacker can only guess the key: no guess confirms any candidate.
    const guesses = [IdentifierKey.fromSecret('0'.repeat(64)), IdentifierKey.fromSecret('audit-archiver-identifier-key-00000'), IdentifierKey.fromSecret(SESSION_ID)];
    for (const guess of guesses) expect(searchWindow(keyed, (c) => checkRefOf(guess, 'kyc', c))).toEqual([]);
    // Nor does the unkeyed formula.
    expect(searchWindow(keyed, (c) => legacyCheckRefOf('kyc', c))).toEqual([]);
    // The same search with the secret does find it: the search is sound, only the key is missing.
    expect(searchWindow(keyed, (c) => checkRefOf(TEST_KEY, 'kyc', c))).toEqual([SESSION_ID]);
  });

  it('a dictionary client key falls to a three-word search of the unkeyed hash, not of the keyed one', () => {
    expect(searchDictionary(legacyClientKeyHashOf('my_client_key'), legacyClientKeyHashOf)).toEqual(['my_client_key']);
    const keyed = subjectHashOf(TEST_KEY, 'my_client_key');
    const guess = IdentifierKey.fromSecret('my_client_key_my_client_key_my_client_key');
    expect(searchDictionary(keyed, (c) => subjectHashOf(guess, c))).toEqual([]);
    expect(searchDictionary(keyed, legacyClientKeyHashOf)).toEqual([]);
    expect(searchDictionary(keyed, (c) => subjectHashOf(TEST_KEY, c))).toEqual(['my_client_key']);
  });

  it('derives 32 hex characters, different per key, per provider and per kind of name', () => {
    const other = IdentifierKey.fromSecret('another-identifier-key-0123456789abcdef');
    const names = [
      checkRefOf(TEST_KEY, 'liveness', 'abc'),
      checkRefOf(TEST_KEY, 'kyc', 'abc'),
      checkRefOf(TEST_KEY, 'verification', 'abc'),
      subjectHashOf(TEST_KEY, 'abc'),
      checkRefOf(other, 'liveness', 'abc'),
      legacyCheckRefOf('liveness', 'abc'),
    ];
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(names).size).toBe(names.length);
    expect(checkRefOf(TEST_KEY, 'liveness', 'abc')).toBe(checkRefOf(IdentifierKey.fromSecret(' test-identifier-key-0123456789abcdef0123456789abcdef\n'), 'liveness', 'abc'));
  });

  it('never shows the key: JSON, strings and inspection print a placeholder', () => {
    const secret = 'a-very-secret-identifier-key-value-0123456789';
    const key = IdentifierKey.fromSecret(secret);
    expect(JSON.stringify({ key })).toBe('{"key":"[identifier key]"}');
    expect(`${key}`).toBe('[identifier key]');
    expect(inspect(key, { showHidden: true, depth: 5 })).not.toContain(secret);
    expect(Object.values(key)).toEqual([]);
  });

  it('refuses a key shorter than 32 characters', () => {
    expect(() => IdentifierKey.fromSecret('short')).toThrow(RangeError);
    expect(() => IdentifierKey.fromSecret(' '.repeat(40))).toThrow(RangeError);
  });
});
