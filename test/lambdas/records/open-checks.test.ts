import { describe, expect, it } from 'vitest';
import { allOpenShards, openShardOf } from '../../../lambdas/records/open-checks';
import { OPEN_SHARDS } from '../../../lambdas/records/table-schema';
import { checkRefOf } from '../../../lambdas/checks/check-ref';
import { TEST_KEY } from '../../support/identifier-key';

describe('open-check shards', () => {
  it('spreads checks evenly over every shard reconcile reads', () => {
    const counts = new Map<string, number>();
    const n = OPEN_SHARDS * 200;
    for (let i = 0; i < n; i++) {
      const shard = openShardOf(checkRefOf(TEST_KEY, 'liveness', `check-${i}`));
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(new Set(allOpenShards())).toEqual(new Set(counts.keys()));
    // No shard takes more than half again its even share: a hot shard would throttle the index.
    expect(Math.max(...counts.values())).toBeLessThan(1.5 * (n / OPEN_SHARDS));
  });

  it('keeps the names of fewer shards among its own, so items written with fewer are still read after a raise', () => {
    const shards = allOpenShards();
    expect(shards).toHaveLength(OPEN_SHARDS);
    for (let k = 0; k < 16; k++) expect(shards).toContain(`open#${String(k).padStart(2, '0')}`);
  });
});
