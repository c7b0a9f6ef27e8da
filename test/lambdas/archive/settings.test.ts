import { describe, expect, it } from 'vitest';
import { parseArchiveSettings } from '../../../lambdas/archive/settings';
import { ConfigurationError } from '../../../lambdas/common/errors';
import { DEFAULT_RETENTION_POLICY } from '../../../lambdas/records/retention';

describe('parseArchiveSettings', () => {
  it('has defaults for every knob', () => {
    expect(parseArchiveSettings()).toEqual({
      limits: {
        maxFrameBytes: 5 * 1024 * 1024,
        maxImageBytes: 25 * 1024 * 1024,
        quarantineMaxBytes: 100 * 1024 * 1024,
        maxImagesPerCheck: 500,
        maxBytesPerCheck: 2 * 1024 * 1024 * 1024,
        concurrency: 4,
      },
      kycImageLinks: [],
      retention: DEFAULT_RETENTION_POLICY,
    });
  });

  it('accepts overrides, including retention as JSON text', () => {
    const settings = parseArchiveSettings({
      concurrency: 2,
      kycImageLinks: ['faceSelfie', 'faceDoc', 'faceSelfie'],
      retention: '{"classes":{"verification":{"days":30,"basis":"Internal policy"}}}',
    });
    expect(settings.limits.concurrency).toBe(2);
    expect(settings.kycImageLinks).toEqual(['faceSelfie', 'faceDoc']);
    // Overridden field by field: the default class's clock and erasability stay.
    expect(settings.retention.classes.verification).toEqual({ days: 30, basis: 'Internal policy', clock: 'archive', erasable: true });
  });

  it.each([
    { concurrency: 0 },
    { maxImageBytes: -1 },
    { kycImageLinks: ['imagesFull'] },
    { kycImageLinks: ['everything'] },
    { surprise: true },
    { retention: '{"classes":{"verification":{"days":0,"basis":"x"}}}' },
  ])('rejects %j with ConfigurationError', (input) => {
    expect(() => parseArchiveSettings(input)).toThrow(ConfigurationError);
  });
});
