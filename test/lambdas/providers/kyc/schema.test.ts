import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJwtShaped, isTimeUuid, isValidClientKey } from '../../../../lambdas/providers/kyc/schema';

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });
const variantNibble = fc.constantFrom(...'89abAB');

/** A UUID v1 built field by field: version nibble 1, RFC 4122 variant. */
const uuidV1 = fc
  .tuple(hex(8), hex(4), hex(3), variantNibble, hex(3), hex(12))
  .map(([a, b, c, v, d, e]) => `${a}-${b}-1${c}-${v}${d}-${e}`);

describe('isTimeUuid', () => {
  it('accepts every generated UUID v1, in any case', () => {
    fc.assert(fc.property(uuidV1, (id) => isTimeUuid(id) && isTimeUuid(id.toUpperCase()) && isTimeUuid(id.toLowerCase())));
  });

  it('rejects other versions', () => {
    const otherVersion = fc.constantFrom(...'023456789abcdef');
    fc.assert(
      fc.property(fc.tuple(hex(8), hex(4), otherVersion, hex(3), variantNibble, hex(3), hex(12)), ([a, b, ver, c, v, d, e]) =>
        !isTimeUuid(`${a}-${b}-${ver}${c}-${v}${d}-${e}`),
      ),
    );
  });

  it('rejects non-RFC-4122 variants', () => {
    const otherVariant = fc.constantFrom(...'01234567cdefCDEF');
    fc.assert(
      fc.property(fc.tuple(hex(8), hex(4), hex(3), otherVariant, hex(3), hex(12)), ([a, b, c, v, d, e]) =>
        !isTimeUuid(`${a}-${b}-1${c}-${v}${d}-${e}`),
      ),
    );
  });

  it('rejects garbage and near misses', () => {
    fc.assert(fc.property(fc.string(), (s) => !/^[0-9a-f-]{36}$/i.test(s) ? !isTimeUuid(s) : true));
    fc.assert(fc.property(uuidV1, fc.constantFrom(' ', '\n', '{', 'x'), (id, extra) => !isTimeUuid(id + extra) && !isTimeUuid(extra + id)));
    for (const value of ['', '550e8400-e29b-41d4-a716-446655440000', 'c1d2e3f40b4d11ef8a610242ac120002', undefined, 42, null]) {
      expect(isTimeUuid(value)).toBe(false);
    }
    expect(isTimeUuid('c1d2e3f4-0b4d-11ef-8a61-0242ac120002')).toBe(true);
  });
});

describe('isValidClientKey', () => {
  it('accepts 1..36 characters, including non-ASCII', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 36 }), isValidClientKey));
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 36 }), (s) => [...s].length > 36 || isValidClientKey(s)));
    expect(isValidClientKey('🙂'.repeat(36))).toBe(true);
  });

  it("rejects '' and more than 36 characters", () => {
    expect(isValidClientKey('')).toBe(false);
    fc.assert(fc.property(fc.string({ minLength: 37, maxLength: 200 }), (s) => !isValidClientKey(s)));
    expect(isValidClientKey('k'.repeat(37))).toBe(false);
    expect(isValidClientKey(undefined)).toBe(false);
  });
});

describe('request shapes', () => {
  it('JWT shape: three base64url segments', () => {
    expect(isJwtShaped('aGVhZGVy.cGF5bG9hZA.c2ln-_')).toBe(true);
    for (const value of ['6f1c2e3a-0b4d-11ef-9a61-0242ac120002', 'a.b', 'a.b.c.d', 'a..c', 'a.b.c ', 'a.b.c\n']) {
      expect(isJwtShaped(value)).toBe(false);
    }
  });
});
