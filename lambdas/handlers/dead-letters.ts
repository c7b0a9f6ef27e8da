/**
 * Scheduled dead-letter redrive: seals raw dead letters and replays the ones that can help, within this invocation's
 * time (lambdas/operations/dead-letter-queue.ts). Counts what it did; logs checks by provider and checkRef only.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import { requiredEnv } from '../common/environment';
import { identifierKeyFromEnv } from '../common/identifier-key';
import { METRIC } from '../common/metric-names';
import { publishMetrics } from '../common/outcome-metrics';
import { logger, metrics } from '../common/powertools';
import { sealerFromEnv } from '../events/sealer-runtime';
import { redriveDeadLetters, type RedriveReport } from '../operations/dead-letter-queue';

const deadLetterQueueUrl = requiredEnv(process.env, 'DEAD_LETTER_QUEUE_URL');
const startQueueUrl = requiredEnv(process.env, 'START_QUEUE_URL');
const sealer = sealerFromEnv(process.env);
const sqs = new SQSClient({});
const identifierKey = identifierKeyFromEnv(process.env);

export const handler = async (_event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<Omit<RedriveReport, 'replays'>> => {
  try {
    const report = await redriveDeadLetters({
      sqs,
      deadLetterQueueUrl,
      startQueueUrl,
      sealer,
      identifierKey: await identifierKey.get(),
      now: () => new Date(),
      ...(context?.getRemainingTimeInMillis ? { timeLeft: () => context.getRemainingTimeInMillis!() } : {}),
    });
    metrics.addMetric(METRIC.deadLettersReplayed, MetricUnit.Count, report.replayed);
    metrics.addMetric('DeadLettersSealed', MetricUnit.Count, report.sealed);
    // What the DeadLettersAging alarm watches (with the queue's own age): letters left for an operator age here.
    metrics.addMetric(METRIC.deadLetterOldestAgeSeconds, MetricUnit.Seconds, report.oldestLeftSeconds);
    for (const replay of report.replays) logger.info('dead letter replayed', replay);
    const { replays: _replays, ...counts } = report;
    logger.info('dead letters redriven', counts);
    return counts;
  } finally {
    publishMetrics(metrics);
  }
};
