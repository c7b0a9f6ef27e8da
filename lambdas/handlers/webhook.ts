/**
 * The webhook receiver behind a Lambda Function URL (lambdas/webhooks/receiver.ts): `POST {url}/{provider}`. Logs the
 * outcome, the provider and the check's hash only — never a header, the body or the check id.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { METRIC } from '../common/metric-names';
import { publishMetrics } from '../common/outcome-metrics';
import { logger, metrics } from '../common/powertools';
import { receive, type WebhookResponse } from '../webhooks/receiver';
import { receiverDepsFromEnv } from '../webhooks/runtime';

const deps = receiverDepsFromEnv(process.env);

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  let response: WebhookResponse;
  try {
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    response = await receive(deps, { method: event.requestContext.http.method, path: event.rawPath, headers, body });
  } catch (error) {
    logger.warn('webhook not recorded', { error: (error as Error)?.name ?? 'Error' });
    response = { statusCode: 503, outcome: 'unavailable' };
  }
  try {
    countWebhook(response);
  } finally {
    publishMetrics(metrics);
  }
  const { statusCode, outcome, provider, checkRef } = response;
  (statusCode < 400 ? logger.info : logger.warn).call(logger, 'webhook', { outcome, provider, checkRef });
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: outcome }) };
};

function countWebhook({ outcome, statusCode }: WebhookResponse): void {
  if (outcome === 'woken' || outcome === 'remembered') metrics.addMetric(METRIC.webhooksAccepted, MetricUnit.Count, 1);
  else if (outcome === 'duplicate') metrics.addMetric(METRIC.webhookDuplicates, MetricUnit.Count, 1);
  else if (statusCode >= 400) {
    metrics.addMetric(METRIC.webhooksRefused, MetricUnit.Count, 1);
    const detailed = metrics.singleMetric();
    detailed.addDimensions({ reason: outcome });
    detailed.addMetric(METRIC.webhooksRefused, MetricUnit.Count, 1);
  }
}
