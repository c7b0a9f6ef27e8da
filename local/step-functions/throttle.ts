/**
 * StartExecution's token bucket, as AWS meters the API per account and region: a bucket of `burst` calls refilled at
 * `perSecond` (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, API action throttling). A call
 * that finds it empty is refused with ThrottlingException, duplicates included. Real time, not the scaled clock: it
 * meters calls, not waits.
 */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

export function createTokenBucket(limit: RateLimit, now: () => number = () => performance.now()) {
  if (!(limit.burst >= 1 && limit.perSecond > 0)) throw new RangeError('a token bucket needs a burst of at least 1 and a positive refill rate');
  let tokens = limit.burst;
  let last = now();
  let refused = 0;
  return {
    /** Takes a token; false (and one more refusal counted) when there is none. */
    take(): boolean {
      const at = now();
      tokens = Math.min(limit.burst, tokens + ((at - last) / 1000) * limit.perSecond);
      last = at;
      if (tokens < 1) {
        refused += 1;
        return false;
      }
      tokens -= 1;
      return true;
    },
    refused: () => refused,
  };
}
