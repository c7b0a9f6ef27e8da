/**
 * Logger and Metrics, created once per execution environment and shared by the handlers. Service name and
 * namespace come from the environment the stack sets (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE; see
 * lib/defaults.ts COMMON_ENVIRONMENT), with the same defaults the alarms and dashboard read (metric-names.ts).
 * Nothing logs whole events: they carry liveness tokens. Log provider + checkRef, never checkId; the formatter
 * redacts what slips through anyway (log-redaction.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { RedactingLogFormatter } from './log-redaction';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from './metric-names';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE_NAME;

/** A JSON logger whose every line is redacted. Exported for tools and tests that need their own instance. */
export function createLogger(options: { serviceName?: string } = {}): Logger {
  return new Logger({ serviceName: options.serviceName ?? serviceName, logFormatter: new RedactingLogFormatter() });
}

export const logger = createLogger();

export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
});
