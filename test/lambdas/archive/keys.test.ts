import { describe, expect, it } from 'vitest';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { InvalidCheckInputError } from '../../../lambdas/common/errors';
import { archivePrefix, frameStem, kycStem, stemOf, withExtension } from '../../../lambdas/archive/keys';
import { TEST_KEY } from '../../support/identifier-key';

const ref = checkRefOf(TEST_KEY, 'liveness', 'secret-bearer-token');

describe('archive keys', () => {
  it('date folders come from createdAt in UTC, the check is named by its hash', () => {
    expect(archivePrefix('liveness', '2026-03-19T23:30:00-05:00', ref)).toBe(`liveness/2026/03/20/${ref}/`);
    expect(archivePrefix('kyc', '2026-01-02T03:04:05Z', ref)).toBe(`kyc/2026/01/02/${ref}/`);
  });

  it('refuses a checkRef that is not a hash (a token must never become a key) and a bad date', () => {
    expect(() => archivePrefix('liveness', '2026-03-19T10:00:00Z', 'secret-bearer-token')).toThrow(InvalidCheckInputError);
    expect(() => archivePrefix('liveness', '2026-03-19T10:00:00Z', '../../etc')).toThrow(InvalidCheckInputError);
    expect(() => archivePrefix('liveness', 'yesterday', ref)).toThrow(InvalidCheckInputError);
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
