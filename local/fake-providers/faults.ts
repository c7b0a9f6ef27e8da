import { STATUS_CODES } from 'node:http';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { jsonReply, type Reply } from './http';
import type { CheckRecord } from './state';

/** An error body in the provider's own style. */
export function providerError(provider: ProviderName, status: number, headers: Record<string, string> = {}): Reply {
  const message = (STATUS_CODES[status] ?? 'error').toLowerCase();
  switch (provider) {
    case 'liveness':
      return jsonReply(status, { error: message }, headers);
    case 'kyc':
      return jsonReply(status, { status: 'error', message }, headers);
    case 'verification':
      return jsonReply(status, { error: { code: message.replaceAll(' ', '_'), message: STATUS_CODES[status] ?? 'Error' } }, headers);
  }
}

/**
 * The scripted 5xx / 429 answer for this request, if any. Counts the request: the first `serverErrors.count`
 * requests get the 5xx, the next `rateLimited.count` the 429.
 */
export function statusFault(check: CheckRecord): Reply | undefined {
  const index = check.requests;
  check.requests += 1;
  const { serverErrors, rateLimited } = check.script.faults;
  const errors = serverErrors?.count ?? 0;
  if (serverErrors && index < errors) return providerError(check.provider, serverErrors.status);
  if (rateLimited && index < errors + rateLimited.count) {
    return providerError(check.provider, 429, { 'retry-after': String(rateLimited.retryAfterSeconds) });
  }
  return undefined;
}

/** Cuts the reply in half when the script's `truncated` budget says so (counts the truncation). */
export function maybeTruncate(check: CheckRecord, reply: Reply, terminal: boolean): Reply {
  const truncated = check.script.faults.truncated;
  if (!truncated || !reply.body || check.truncated >= truncated.count) return reply;
  if (truncated.terminalOnly && !terminal) return reply;
  check.truncated += 1;
  return { ...reply, cutAfter: Math.floor(reply.body.length / 2) };
}

/** The scripted outage's answer at simulated time `now`, if the provider is down then (see the script's `outage`). */
export function outageFault(check: CheckRecord, now: number): Reply | undefined {
  const outage = check.script.faults.outage;
  if (!outage || check.outageFrom === undefined || now >= check.outageFrom + outage.ms) return undefined;
  const headers: Record<string, string> = outage.retryAfterSeconds === undefined ? {} : { 'retry-after': String(outage.retryAfterSeconds) };
  return providerError(check.provider, outage.status, headers);
}

/** Counts a terminal answer served; the scripted outage that waits for it begins now. */
export function servedAnswer(check: CheckRecord, terminal: boolean, now: number): void {
  if (!terminal) return;
  check.terminalAnswers += 1;
  const after = check.script.faults.outage?.afterTerminalAnswers;
  if (after !== undefined && check.terminalAnswers === after && check.outageFrom === undefined) check.outageFrom = now;
}
