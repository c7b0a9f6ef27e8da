/** Record failure: the one record of a check whose workflow failed. See lambdas/archive/workflow-steps.ts. */
import { recordFunctionDepsFromEnv } from '../archive/runtime';
import { invocationOf } from '../archive/engine';
import { recordFailureStep } from '../archive/workflow-steps';
import { countOutcome, publishMetrics } from '../common/outcome-metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { withCheckKeys } from '../common/correlation';
import { METRIC } from '../common/metric-names';
import { logger, metrics } from '../common/powertools';
import type { ArchiveOutput } from '../checks/workflow-contract';

const deps = recordFunctionDepsFromEnv(process.env, logger, {
  onShorterRetentionRefused: () => metrics.addMetric(METRIC.retentionRequestsRefused, MetricUnit.Count, 1),
});

export const handler = (event: unknown, context?: Parameters<typeof invocationOf>[0]): Promise<ArchiveOutput> =>
  withCheckKeys(logger, event, async () => {
    try {
      const output = await recordFailureStep(deps, event, invocationOf(context));
      countOutcome(metrics, output);
      return output;
    } finally {
      publishMetrics(metrics);
    }
  });
