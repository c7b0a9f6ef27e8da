/**
 * Scheduled reconcile: every check whose workflow ended in the last two days without a record (its Record failure
 * failed too, the execution timed out or was stopped) is redriven or restarted — see lambdas/operations/reconcile.ts.
 * Reports counts as metrics; an unrecoverable check raises an alarm.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { requiredEnv } from '../common/environment';
import { METRIC } from '../common/metric-names';
import { publishMetrics } from '../common/outcome-metrics';
import { logger, metrics } from '../common/powertools';
import { reconcile, type ReconcileReport } from '../operations/reconcile';
import { createDynamoDocumentClient, createRecordStore } from '../records/record-store';

/** Looks back further than the schedule's period, so a missed run or a slow redrive is picked up by the next one. */
const LOOK_BACK_MS = 2 * 86_400_000;

const stateMachineArn = requiredEnv(process.env, 'STATE_MACHINE_ARN');
const records = createRecordStore({ client: createDynamoDocumentClient(), tableName: requiredEnv(process.env, 'TABLE_NAME') });
const sfn = new SFNClient({});

export const handler = async (): Promise<Omit<ReconcileReport, 'lines'>> => {
  const now = new Date();
  try {
    const report = await reconcile({ sfn, stateMachineArn, records, now, since: new Date(now.getTime() - LOOK_BACK_MS), restart: true });
    metrics.addMetric(METRIC.checksRecovered, MetricUnit.Count, report.redriven + report.restarted);
    metrics.addMetric(METRIC.checksUnrecoverable, MetricUnit.Count, report.failed);
    // Lines name checks by provider and checkRef only.
    for (const line of report.lines) logger.warn('check without a record', { ...line });
    const { lines: _lines, ...counts } = report;
    logger.info('reconciled', counts);
    return counts;
  } finally {
    publishMetrics(metrics);
  }
};
