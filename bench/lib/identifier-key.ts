/** The benchmarks' identifier key: a fixed one, so workloads and their checkRefs are the same run after run. */
import { IdentifierKey } from '../../lambdas/checks/check-ref';
import { fixedIdentifierKey } from '../../lambdas/common/identifier-key';

export const BENCH_KEY = IdentifierKey.fromSecret('bench-identifier-key-not-a-secret-000000000000');
export const benchKeySource = fixedIdentifierKey(BENCH_KEY);
