import { describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { InvalidCheckInputError } from '../../../lambdas/common/errors';
import { archivePrefix, archivePrefixes, checkOfKey, frameStem, kycStem, legacyArchivePrefix, stemOf, withExtension } from '../../../lambdas/archive/keys';
import { TEST_KEY } from '../../support/identifier-key';

const ref = checkRefOf(TEST_KEY, 'liveness', 'secret-bearer-token');

describe('archive keys', () => {
  it('folders start with the checkRef\'s first two hex characters, then the provider and the checkRef: no date in the key', () => {
    expect(archivePrefix('liveness', ref)).toBe(`${ref.slice(0, 2)}/liveness/${ref}/`);
    expect(archivePrefix('kyc', ref)).toBe(`${ref.slice(0, 2)}/kyc/${ref}/`);
    // A burst spreads: the first segment of 256 checks takes many values, not one per day.
    const firsts = new Set(Array.from({ length: 256 }, (_, i) => archivePrefix('liveness', checkRefOf(TEST_KEY, 'liveness', `token-${i}`)).split('/')[0]));
    expect(firsts.size).toBeGreaterThan(100);
  });

  it('the first layout still names the folders of checks archived before: date folders from createdAt in UTC', () => {
    expect(legacyArchivePrefix('liveness', '2026-03-19T23:30:00-05:00', ref)).toBe(`liveness/2026/03/20/${ref}/`);
    expect(legacyArchivePrefix('kyc', '2026-01-02T03:04:05Z', ref)).toBe(`kyc/2026/01/02/${ref}/`);
    expect(archivePrefixes('kyc', '2026-01-02T03:04:05Z', ref)).toEqual([`${ref.slice(0, 2)}/kyc/${ref}/`, `kyc/2026/01/02/${ref}/`]);
    expect(archivePrefixes('kyc', undefined, ref)).toEqual([`${ref.slice(0, 2)}/kyc/${ref}/`]);
  });

  it('tells the check of a key in either layout, and nothing for other keys', () => {
    expect(checkOfKey(`${archivePrefix('verification', ref)}kyc/0-document/0.jpg`)).toEqual({ provider: 'verification', checkRef: ref });
    expect(checkOfKey(`${legacyArchivePrefix('liveness', '2026-03-19T10:00:00Z', ref)}manifest.json`)).toEqual({ provider: 'liveness', checkRef: ref });
    expect(checkOfKey(`ff/liveness/${ref}/manifest.json`)).toEqual(ref.startsWith('ff') ? { provider: 'liveness', checkRef: ref } : undefined);
    expect(checkOfKey('receipts/000001.json')).toBeUndefined();
  });

  it('refuses a checkRef that is not a hash (a token must never become a key) and a bad date', () => {
    expect(() => archivePrefix('liveness', 'secret-bearer-token')).toThrow(InvalidCheckInputError);
    expect(() => archivePrefix('liveness', '../../etc')).toThrow(InvalidCheckInputError);
    expect(() => legacyArchivePrefix('liveness', '2026-03-19T10:00:00Z', '../../etc')).toThrow(InvalidCheckInputError);
    expect(() => legacyArchivePrefix('liveness', 'yesterday', ref)).toThrow(InvalidCheckInputError);
  });

  it('names frames and KYC images by position', () => {
    expect(withExtension(frameStem('probe'), 'jpg')).toBe('frames/probe.jpg');
    expect(withExtension(frameStem(7), 'png')).toBe('frames/007.png');
    expect(kycStem(0, 'document', 'imagesFull', 1)).toBe('kyc/0-document/1');
    expect(kycStem(2, 'selfie', 'imagesFull', 0, 1)).toBe('kyc/2-selfie/history-1-0');
    expect(kycStem(1, 'selfie', 'faceSelfie', 0)).toBe('kyc/1-selfie/face-selfie');
    expect(kycStem(1, 'selfie', 'images', 3, 0)).toBe('kyc/1-selfie/history-0-images-3');
    expect(kycStem(0, '../Odd Type/', 'imageObjects', 0)).toBe('kyc/0-odd-type/objects-0');
    expect(kycStem(0, '///', 'imagesFull', 0)).toBe('kyc/0-task/0');
  });

  it('stems drop only the extension of the last segment', () => {
    expect(stemOf('frames/007.png')).toBe('frames/007');
    expect(stemOf('kyc/0-document/history-1-0.jpeg')).toBe('kyc/0-document/history-1-0');
    expect(stemOf('kyc/0-a.b/face-doc')).toBe('kyc/0-a.b/face-doc');
  });
});
