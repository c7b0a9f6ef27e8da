/**
 * The fake providers' webhooks: Standard Webhooks notifications ("check.updated", `data.id` = the check id) signed
 * with the provider's secret and POSTed to a receiver, either when a lifecycle script asks (`webhooks`, sent at the
 * scripted outcome — for an escalation with `resolveAfter.ms`, at its resolution) or on demand (control API,
 * `sendWebhooks`). Each delivery is one of:
 *   good           — correctly signed, now;
 *   bad-signature  — signed with another secret;
 *   replay         — a good notification, then the very same request again (same id, timestamp and signature);
 *   late           — correctly signed, dated ten minutes ago (past the five-minute tolerance).
 * What the receiver answered is kept per check (`sent()`); nothing is logged (the body carries the check id).
 */
import { randomBytes } from 'node:crypto';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { signStandard } from '../../lambdas/webhooks/signature';
import type { SimClock } from './clock';
import type { CheckRecord } from './state';

export const WEBHOOK_DELIVERIES = ['good', 'bad-signature', 'replay', 'late'] as const;
export type WebhookDelivery = (typeof WEBHOOK_DELIVERIES)[number];

export interface WebhookTarget {
  /** The receiver's base URL; notifications go to `{url}/{provider}`. */
  url: string;
  /** Standard Webhooks secrets (`whsec_…`) per provider; a provider without one sends nothing. */
  secrets: Partial<Record<ProviderName, string>>;
}

export interface SentWebhook {
  provider: ProviderName;
  checkId: string;
  delivery: WebhookDelivery;
  /** Receiver status codes, in order (a replay has two); 0 when the request failed. */
  statuses: number[];
  /** Real epoch ms when the (first) request went out. */
  at: number;
}

export interface WebhookSender {
  schedule(check: CheckRecord): void;
  send(provider: ProviderName, checkId: string, deliveries: readonly WebhookDelivery[]): Promise<SentWebhook[]>;
  sent(): SentWebhook[];
  close(): Promise<void>;
}

const LATE_SECONDS = 600;
/** Real ms after the scripted moment: the fake's lifecycle must already answer the new state when the poll comes. */
const AFTER_MS = 20;

export function createWebhookSender(target: WebhookTarget, clock: SimClock): WebhookSender {
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  const log: SentWebhook[] = [];
  let closed = false;

  const post = async (provider: ProviderName, id: string, timestamp: number, body: string, secret: string): Promise<number> => {
    try {
      const response = await fetch(`${target.url.replace(/\/$/, '')}/${provider}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandard(secret, id, timestamp, body) },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  };

  const deliver = async (provider: ProviderName, checkId: string, delivery: WebhookDelivery): Promise<SentWebhook> => {
    const secret = target.secrets[provider];
    const at = Date.now();
    const nowSeconds = Math.floor(at / 1000);
    const timestamp = delivery === 'late' ? nowSeconds - LATE_SECONDS : nowSeconds;
    const id = `msg_${randomBytes(12).toString('hex')}`;
    const body = JSON.stringify({ type: 'check.updated', timestamp: new Date(timestamp * 1000).toISOString(), data: { id: checkId, provider } });
    const statuses: number[] = [];
    if (secret) {
      const signingSecret = delivery === 'bad-signature' ? `whsec_${randomBytes(24).toString('base64')}` : secret;
      statuses.push(await post(provider, id, timestamp, body, signingSecret));
      if (delivery === 'replay') statuses.push(await post(provider, id, timestamp, body, signingSecret));
    }
    const entry = { provider, checkId, delivery, statuses, at };
    log.push(entry);
    return entry;
  };

  const send: WebhookSender['send'] = async (provider, checkId, deliveries) => {
    const results: SentWebhook[] = [];
    for (const delivery of deliveries) results.push(await deliver(provider, checkId, delivery));
    return results;
  };

  return {
    schedule(check) {
      const deliveries = check.script.webhooks;
      if (!deliveries?.length || closed) return;
      const at = eventAt(check);
      if (at === undefined) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (closed) return;
        const run = send(check.provider, check.checkId, deliveries);
        inFlight.add(run);
        void run.finally(() => inFlight.delete(run));
      }, Math.max(0, (at - clock.now()) / clock.timeFactor) + AFTER_MS);
      timers.add(timer);
    },
    send,
    sent: () => [...log],
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * When the script's news happens (simulated ms): the outcome, or an escalation's resolution. Undefined when it
 * depends on polls (`pending.polls`, `resolveAfter.polls`) or never comes: such checks get webhooks on demand only.
 */
function eventAt(check: CheckRecord): number | undefined {
  const outcomeAt = check.terminalAt ?? (check.script.pending?.ms !== undefined ? check.createdAt + check.script.pending.ms : undefined);
  if (outcomeAt === undefined) return undefined;
  if (check.provider !== 'verification' || check.script.outcome !== 'escalated') return outcomeAt;
  const resolveMs = check.script.escalation.resolveAfter?.ms;
  return resolveMs === undefined ? undefined : outcomeAt + resolveMs;
}
