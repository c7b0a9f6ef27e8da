/**
 * The console's audit trail: one structured event per request that reads the archive, or that was refused, in the
 * query API's shape (lambdas/handlers/query-api.ts): who (the AWS identity, or "local"), which action, what was read
 * (filters, checkRefs, the check shown or exported) and the status answered. Never a check id, a clientKey, the
 * console's token, or anything from a provider's answer; the line is redacted once more on the way out anyway.
 */
import { redact } from '../../../lambdas/common/log-redaction';
import { DEFAULT_SERVICE_NAME } from '../../../lambdas/common/metric-names';

export interface ConsoleCaller {
  /** The caller's IAM ARN (STS GetCallerIdentity), or "local" for the local archive. */
  userArn: string;
  accountId?: string;
  /** Local archive: the operating-system user running the console. */
  osUser?: string;
}

export type ConsoleAction = 'query' | 'show' | 'find' | 'export' | 'verify' | 'refused' | 'unknown';

export interface AuditEvent {
  action: ConsoleAction;
  /** Which reader wrote the event: the console, not the HTTP API. */
  via: 'console';
  caller: ConsoleCaller;
  requestId: string;
  status: number;
  read?: Record<string, unknown>;
  error?: string;
}

export interface AuditLog {
  write(event: AuditEvent): void;
}

/** JSON lines as the functions' logger writes them: level, message, service, timestamp, audit. */
export function jsonLinesAuditLog(stream: { write(text: string): unknown }, now: () => Date = () => new Date()): AuditLog {
  return {
    write(event) {
      const level = event.status >= 500 ? 'ERROR' : event.status >= 400 ? 'WARN' : 'INFO';
      const line = { level, message: 'auditor access', service: DEFAULT_SERVICE_NAME, timestamp: now().toISOString(), audit: redact(event) };
      stream.write(`${JSON.stringify(line)}\n`);
    },
  };
}
