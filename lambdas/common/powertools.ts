/**
 * Logger and Metrics, created once per execution environment and shared by the handlers. Service name and
 * namespace come from the environment the stack sets (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE).
 * Nothing logs whole events: they carry liveness tokens. Log provider + checkRef, never checkId.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'audit-archiver';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'AuditArchiver',
});
