import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../../local/step-functions/throttle';

describe("StartExecution's token bucket", () => {
  it('lets a burst through, then one call per refilled token, and counts what it refused', () => {
    let now = 0;
    const bucket = createTokenBucket({ burst: 3, perSecond: 2 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 400; // 0.8 of a token
    expect(bucket.take()).toBe(false);
    now = 500; // one token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    // Idle for a minute: the bucket holds its burst, no more.
    now = 60_500;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.refused()).toBe(4);
  });

  it('refuses a bucket that could never pass a call', () => {
    expect(() => createTokenBucket({ burst: 0, perSecond: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ burst: 1, perSecond: 0 })).toThrow(RangeError);
  });
});
