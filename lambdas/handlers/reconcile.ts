/**
 * Scheduled reconcile: every open check that is due — started and never recorded, an escalation whose workflow
 * died, an error record worth another try — is looked at once and recovered, within this invocation's time (see
 * lambdas/operations/reconcile.ts). Reports counts as metrics; a check it cannot recover is parked and alarmed on.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { providerMapEnv, requiredEnv } from '../common/environment';
import { METRIC } from '../common/metric-names';
import { publishMetrics } from '../common/outcome-metrics';
import { logger, metrics } from '../common/powertools';
import { reconcile, type ReconcileReport } from '../operations/reconcile';
import { createDynamoDocumentClient } from '../records/record-store';

const stateMachineArns = providerMapEnv(process.env, 'STATE_MACHINE_ARNS');
const tableName = requiredEnv(process.env, 'TABLE_NAME');
const dynamo = createDynamoDocumentClient();
const sfn = new SFNClient({});

export const handler = async (_event: unknown, context?: { getRemainingTimeInMillis?: () => number }): Promise<Omit<ReconcileReport, 'lines'>> => {
  const now = new Date();
  try {
    const report = await reconcile({
      sfn,
      stateMachineArns,
      dynamo,
      tableName,
      now,
      restart: true,
      ...(context?.getRemainingTimeInMillis ? { timeLeft: () => context.getRemainingTimeInMillis!() } : {}),
    });
    metrics.addMetric(METRIC.checksRecovered, MetricUnit.Count, report.redriven + report.restarted + report.retried);
    metrics.addMetric(METRIC.checksUnrecoverable, MetricUnit.Count, report.parked + report.failed);
    // Lines name checks by provider and checkRef only.
    for (const line of report.lines) logger.warn('open check acted on', { ...line });
    const { lines: _lines, ...counts } = report;
    logger.info('reconciled', counts);
    return counts;
  } finally {
    publishMetrics(metrics);
  }
};
