/**
 * The webhook receiver: `POST /{provider}` with a signed notification that a check changed. It verifies the signature,
 * reads the check id at the configured path, refuses a delivery id it has seen, records the wake-up beside the check
 * (durably: a conditional write) and, when the check's loop is waiting, sends the waiting message again with no delay
 * — answering 2xx only after both. A notification is never evidence: it only says "look now", and the poll that
 * follows asks the provider's authenticated API. Refusals are 4xx with a reason word and a metric; nothing of the body
 * (check ids include liveness tokens) is ever logged or echoed.
 */
import type { ProviderName } from '../checks/check-status';
import { PROVIDERS } from '../checks/check-status';
import type { IdentifierKeySource } from '../common/identifier-key';
import { checkRefOf } from '../checks/check-ref';
import type { PollMessage } from '../checks/workflow-contract';
import type { WakeStore } from '../polling/wake-store';
import { valueAt, type WebhooksConfig } from './settings';
import { verifySignature } from './signature';

export type ReceiverOutcome =
  | 'woken' // the waiting loop's message sent again: it polls now
  | 'remembered' // no loop waiting: the next wait of the check ends at once
  | 'duplicate' // a delivery id already accepted (a sender's retry or a replay): nothing done
  | 'bad-signature'
  | 'stale'
  | 'malformed'
  | 'oversized'
  | 'no-check-id'
  | 'unknown-check'
  | 'not-found'
  | 'method'
  | 'unavailable';

const STATUS: Record<ReceiverOutcome, number> = {
  woken: 202,
  remembered: 202,
  // 2xx: a sender retrying a notification whose answer it lost must stop; a replay achieves nothing either way.
  duplicate: 200,
  'bad-signature': 401,
  stale: 400,
  malformed: 400,
  oversized: 413,
  'no-check-id': 422,
  'unknown-check': 404,
  'not-found': 404,
  method: 405,
  // The sender retries: the wake-up was not recorded, and its delivery id was forgotten.
  unavailable: 503,
};

export interface WebhookRequest {
  method: string;
  /** `/{provider}` */
  path: string;
  /** Names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

export interface WebhookResponse {
  statusCode: number;
  outcome: ReceiverOutcome;
  provider?: ProviderName;
  /** Safe to log: a hash of the check id. */
  checkRef?: string;
}

export interface ReceiverDeps {
  config: WebhooksConfig;
  /** The provider's valid secrets; `fresh` re-reads them (after a bad signature: the secret may just have rotated). */
  secrets(provider: ProviderName, options?: { fresh?: boolean }): Promise<string[]>;
  wakes: WakeStore;
  /** Names the check as the archive does (its keyed checkRef). */
  identifierKey: IdentifierKeySource;
  /** Puts the message on the provider's poll queue (each provider's workflow has its own) with no delay. */
  send(provider: ProviderName, message: PollMessage): Promise<void>;
  now(): Date;
}

export async function receive(deps: ReceiverDeps, request: WebhookRequest): Promise<WebhookResponse> {
  const name = request.path.replace(/^\/+|\/+$/g, '');
  const provider = PROVIDERS.find((p) => p === name);
  const settings = provider ? deps.config[provider] : undefined;
  const answer = (outcome: ReceiverOutcome, checkRef?: string): WebhookResponse => ({
    statusCode: STATUS[outcome],
    outcome,
    ...(provider ? { provider } : {}),
    ...(checkRef ? { checkRef } : {}),
  });
  if (!provider || !settings?.enabled) return answer('not-found');
  if (request.method.toUpperCase() !== 'POST') return answer('method');
  if (request.body.length > settings.maxBodyBytes) return answer('oversized');

  const now = deps.now();
  const check = async (fresh: boolean) =>
    verifySignature({
      scheme: settings.scheme,
      headers: request.headers,
      body: request.body,
      secrets: await deps.secrets(provider, { fresh }),
      now,
      toleranceSeconds: settings.toleranceSeconds,
    });
  let verdict = await check(false);
  if (!verdict.ok && verdict.refusal === 'bad-signature') verdict = await check(true);
  if (!verdict.ok) return answer(verdict.refusal);

  let checkId: unknown;
  try {
    checkId = valueAt(JSON.parse(request.body.toString('utf8')), settings.checkIdPath);
  } catch {
    return answer('malformed');
  }
  if (typeof checkId === 'number' && Number.isSafeInteger(checkId)) checkId = String(checkId);
  if (typeof checkId !== 'string' || checkId === '' || checkId.length > 512) return answer('no-check-id');
  const checkRef = checkRefOf(await deps.identifierKey.get(), provider, checkId);

  if (!(await deps.wakes.firstDelivery(provider, verdict.deliveryId, now))) return answer('duplicate', checkRef);
  try {
    const woken = await deps.wakes.wake({ provider, checkRef }, now);
    if (!woken) {
      // Perhaps only not yet known (the check's event is on its way): the sender's retry may find it.
      await deps.wakes.forgetDelivery(provider, verdict.deliveryId);
      return answer('unknown-check', checkRef);
    }
    if (!woken.message) return answer('remembered', checkRef);
    const { pollAt: _due, ...message } = woken.message;
    await deps.send(provider, { ...message, wokeAt: now.toISOString() });
    return answer('woken', checkRef);
  } catch {
    await deps.wakes.forgetDelivery(provider, verdict.deliveryId).catch(() => undefined);
    return answer('unavailable', checkRef);
  }
}
