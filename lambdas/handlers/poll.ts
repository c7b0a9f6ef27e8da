/** Poll provider: one status request, then the next wait (or the end of polling). See lambdas/polling/poll-check.ts. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../common/metric-names';
import { publishMetrics } from '../common/outcome-metrics';
import { withCheckKeys } from '../common/correlation';
import { identifierKeyFromEnv } from '../common/identifier-key';
import { logger, metrics } from '../common/powertools';
import { pollCheck } from '../polling/poll-check';
import { pollDepsFromEnv } from '../polling/runtime';
import type { PollOutput } from '../checks/workflow-contract';
import { parseWorkflowState } from '../workflow/parse-state';

const depsFor = pollDepsFromEnv(process.env, {
  logger,
  onTransientError: (error, provider) => {
    // The alarm reads the total (dimension service); the breakdown by provider and status code is for the dashboard.
    metrics.addMetric(METRIC.providerErrors, MetricUnit.Count, 1);
    const detailed = metrics.singleMetric();
    detailed.addDimensions({ provider, statusCode: String(error.details.statusCode ?? 'network') });
    detailed.addMetric(METRIC.providerErrors, MetricUnit.Count, 1);
  },
  onUnknownStatus: () => metrics.addMetric(METRIC.providerDrift, MetricUnit.Count, 1),
});

const identifierKey = identifierKeyFromEnv(process.env);

export const handler = (event: unknown): Promise<PollOutput> =>
  withCheckKeys(logger, event, async () => {
    try {
      const state = parseWorkflowState(event, await identifierKey.get());
      return await pollCheck(depsFor(state.check.provider), state);
    } finally {
      publishMetrics(metrics);
    }
  });
