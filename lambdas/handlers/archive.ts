/** Archive evidence / Archive escalation / Record outcome. See lambdas/archive/workflow-steps.ts. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { withCheckKeys } from '../common/correlation';
import { identifierKeyFromEnv } from '../common/identifier-key';
import { METRIC } from '../common/metric-names';
import { logger, metrics } from '../common/powertools';
import { archiveDepsFromEnv } from '../archive/runtime';
import { invocationOf } from '../archive/engine';
import { archiveStep, sleepFromEnv } from '../archive/workflow-steps';
import { countOutcome, publishMetrics } from '../common/outcome-metrics';
import type { ArchiveOutput } from '../checks/workflow-contract';

const depsFor = archiveDepsFromEnv(process.env, logger, {
  onShorterRetentionRefused: () => metrics.addMetric(METRIC.retentionRequestsRefused, MetricUnit.Count, 1),
});
const identifierKey = identifierKeyFromEnv(process.env);
const sleep = sleepFromEnv(process.env);

/** `context` gives the lease owner and the deadline the archive stops itself before (see engine.ts Invocation). */
export const handler = (event: unknown, context?: Parameters<typeof invocationOf>[0]): Promise<ArchiveOutput> =>
  withCheckKeys(logger, event, async () => {
    const startedAt = Date.now();
    try {
      const output = await archiveStep(depsFor, event, await identifierKey.get(), invocationOf(context, startedAt), sleep);
      countOutcome(metrics, output, Date.now() - startedAt);
      return output;
    } finally {
      publishMetrics(metrics);
    }
  });
