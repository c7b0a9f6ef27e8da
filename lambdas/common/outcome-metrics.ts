/** The flow's outcome metrics (EMF), from the small summary the archive and record steps return. */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ArchiveOutput } from '../checks/workflow-contract';
import { METRIC, type MetricName } from './metric-names';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

const NO_RESULT = new Set(['expired', 'invalid', 'not-found', 'forbidden', 'failed', 'exception']);

export function countOutcome(metrics: Pick<Metrics, 'addMetric'>, output: ArchiveOutput, durationMs?: number): void {
  const count = (name: MetricName, value = 1, unit: Unit = MetricUnit.Count) => metrics.addMetric(name, unit, value);
  if (durationMs !== undefined) count(METRIC.archiveDurationMs, durationMs, MetricUnit.Milliseconds);
  // A re-run that kept the record as it was: the check was counted when that record was written.
  if (output.recorded === false) return;
  if (output.status === 'archived') count(METRIC.checksArchived);
  else if (output.status === 'archived-partial') count(METRIC.checksPartiallyArchived);
  else if (output.status === 'timed-out') count(METRIC.checksTimedOut);
  else if (output.status === 'error') count(METRIC.checksFailed);
  else if (NO_RESULT.has(output.status)) count(METRIC.checksWithoutResult);

  // Not for escalations: their evidence is counted once, when the check is finally archived.
  if (output.status === 'archived' || output.status === 'archived-partial') {
    count(METRIC.imagesArchived, output.images ?? 0);
    count(METRIC.bytesArchived, output.bytes, MetricUnit.Bytes);
  }
  if (output.imagesMissingCount) count(METRIC.imagesMissing, output.imagesMissingCount);
  if (output.quarantined) count(METRIC.imagesQuarantined, output.quarantined);
  // The provider sent something its document does not allow for: worth a look before it costs evidence.
  if (output.uninterpreted) count(METRIC.providerDrift);
  if (output.imagesMissing?.split(',').includes('window-passed')) count(METRIC.windowMisses);
}

/** Publishes what this invocation counted; nothing (and no "empty metrics" warning) when it counted nothing. */
export function publishMetrics(metrics: Pick<Metrics, 'hasStoredMetrics' | 'publishStoredMetrics'>): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
