/**
 * The poll loop (lambdas/polling/poll-queue.ts), fed by the poll queue: each message is one poll of one check, or one
 * hop of a long wait. Messages of a batch run side by side; one that could not be handled (SQS or Step Functions
 * unreachable) is reported as a batch item failure and comes back after the visibility timeout — a poll is read-only,
 * so doing it again is harmless.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requiredEnv } from '../common/environment';
import { identifierKeyFromEnv } from '../common/identifier-key';
import { METRIC } from '../common/metric-names';
import { publishMetrics } from '../common/outcome-metrics';
import { logger, metrics } from '../common/powertools';
import { sdkLoopPorts } from '../polling/loop-ports';
import { loopTurn, type LoopDeps } from '../polling/poll-queue';
import { withWebhooks } from '../polling/polling-policy';
import { pollDepsFromEnv, wakeStoresFromEnv } from '../polling/runtime';

const depsFor = pollDepsFromEnv(process.env, {
  onTransientError: (error, provider) => {
    // The alarm reads the total (dimension service); the breakdown by provider and status code is for the dashboard.
    metrics.addMetric(METRIC.providerErrors, MetricUnit.Count, 1);
    const detailed = metrics.singleMetric();
    detailed.addDimensions({ provider, statusCode: String(error.details.statusCode ?? 'network') });
    detailed.addMetric(METRIC.providerErrors, MetricUnit.Count, 1);
  },
  onUnknownStatus: () => metrics.addMetric(METRIC.providerDrift, MetricUnit.Count, 1),
});

const wakes = wakeStoresFromEnv(process.env);

const loop: LoopDeps = {
  ports: sdkLoopPorts({ sqs: new SQSClient({ maxAttempts: 6 }), sfn: new SFNClient({ maxAttempts: 6 }), queueUrl: requiredEnv(process.env, 'POLL_QUEUE_URL') }),
  // Every line about one check carries its keys (a child logger: the batch's messages run side by side).
  pollDeps: (provider, state) => {
    const deps = depsFor(provider);
    // Webhooks on: a notification ends a review's wait, so the review is polled only as a safety net.
    const policy = wakes(provider) ? withWebhooks(deps.policy) : deps.policy;
    return { ...deps, policy, logger: logger.createChild({ persistentKeys: { provider, checkRef: state.check.checkRef } }) };
  },
  identifierKey: identifierKeyFromEnv(process.env),
  now: () => new Date(),
  logger,
  wakes,
};

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  try {
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await loopTurn(loop, record.body, record.messageId);
        } catch (error) {
          logger.warn('poll message not handled: SQS delivers it again', { error: (error as Error)?.name ?? 'Error' });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
  } finally {
    publishMetrics(metrics);
  }
  return { batchItemFailures };
};
