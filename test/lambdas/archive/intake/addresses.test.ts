import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAddressAllowed, isForbiddenAddress } from '../../../../lambdas/archive/intake/addresses';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '169.254.169.254', '169.254.0.1', '0.0.0.0', '100.64.0.1', '100.127.255.255', '224.0.0.1', '255.255.255.255',
    '192.0.2.1', '240.0.0.1',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', '::7f00:1', '4000::1',
    // Not plain addresses: Node would not connect to these as literals, so they are refused rather than guessed at.
    '0177.0.0.1', '2130706433', '0x7f.0.0.1', 'localhost', '', '1.2.3',
  ])('forbids %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'allows the public address %s',
    (address) => {
      expect(isForbiddenAddress(address)).toBe(false);
    },
  );

  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = (a: fc.Arbitrary<number>, b: fc.Arbitrary<number>) =>
    fc.tuple(a, b, octet, octet).map((parts) => parts.join('.'));
  const internalIPv4 = fc.oneof(
    ipv4(fc.constant(10), octet),
    ipv4(fc.constant(127), octet),
    ipv4(fc.constant(172), fc.integer({ min: 16, max: 31 })),
    ipv4(fc.constant(192), fc.constant(168)),
    ipv4(fc.constant(169), fc.constant(254)),
    ipv4(fc.constant(100), fc.integer({ min: 64, max: 127 })),
    ipv4(fc.constant(0), octet),
    ipv4(fc.integer({ min: 224, max: 255 }), octet),
  );
  // First octets that hold no special range at all (1-9, 11-99, 101-126, 128-168, 170-171, 173-191, 193-197, 199-223).
  const publicFirstOctet = fc
    .integer({ min: 1, max: 223 })
    .filter((n) => ![10, 100, 127, 169, 172, 192, 198].includes(n));

  it('property: generated IPv4 addresses in internal ranges are forbidden, also IPv4-mapped', () => {
    fc.assert(
      fc.property(internalIPv4, (address) => {
        expect(isForbiddenAddress(address)).toBe(true);
        expect(isForbiddenAddress(`::ffff:${address}`)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: generated IPv4 addresses in public ranges are allowed', () => {
    fc.assert(
      fc.property(ipv4(publicFirstOctet, octet), (address) => {
        expect(isForbiddenAddress(address)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), (value) => typeof isForbiddenAddress(value) === 'boolean'));
  });
});

describe('isAddressAllowed', () => {
  it('local mode permits loopback and private networks but never link-local, unspecified or multicast', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.10', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(isAddressAllowed(address, true)).toBe(true);
      expect(isAddressAllowed(address, false)).toBe(false);
    }
    for (const address of ['169.254.169.254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1', '100.64.0.1']) {
      expect(isAddressAllowed(address, true)).toBe(false);
    }
    expect(isAddressAllowed('93.184.216.34', false)).toBe(true);
  });
});
