/**
 * The control API, for local mode and benchmarks driving a running server (no auth: loopback only).
 *   POST /_control/checks  body: one script, an array of scripts, or {"checks": [...]} → 201 {"checks": [created]}
 *   GET  /_control/checks  → {"checks": [created]} (all checks, in creation order)
 *   GET  /_control/stats   → stats
 *   POST /_control/webhooks body: {"provider", "checkId", "deliveries": ["good" | "bad-signature" | "replay" | "late"]}
 *                          → 200 {"sent": [{delivery, statuses}]} (409 when no receiver is configured)
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { PROVIDERS } from '../../lambdas/checks/check-status';
import { WEBHOOK_DELIVERIES } from './webhooks';
import { createCheck, describeCheck, type CreatedCheck } from './checks';
import { DuplicateCheckError, InvalidScriptError } from './errors';
import { jsonReply, parseJson, readBody, type Reply } from './http';
import { parseCheckScript, parseScenario, type ParsedAnyCheckScript } from './script';
import type { FakeState } from './state';

export const CONTROL_PREFIX = '/_control/';
const MAX_CONTROL_BYTES = 4 * 1024 * 1024;

export async function handleControl(state: FakeState, req: IncomingMessage, path: string, stats: () => unknown): Promise<Reply> {
  if (path === '/_control/stats' && req.method === 'GET') return jsonReply(200, stats());
  if (path === '/_control/checks' && req.method === 'GET') return jsonReply(200, { checks: listChecks(state) });
  if (path === '/_control/checks' && req.method === 'POST') {
    const body = parseJson(await readBody(req, MAX_CONTROL_BYTES));
    if (body === undefined) return jsonReply(400, { error: 'body is not JSON' });
    try {
      return jsonReply(201, { checks: addChecks(state, toScripts(body)) });
    } catch (error) {
      if (error instanceof InvalidScriptError) return jsonReply(400, { error: error.message });
      if (error instanceof DuplicateCheckError) return jsonReply(409, { error: error.message });
      throw error;
    }
  }
  if (path === '/_control/webhooks' && req.method === 'POST') {
    if (!state.webhooks) return jsonReply(409, { error: 'no webhook receiver configured' });
    const parsed = webhookRequestSchema.safeParse(parseJson(await readBody(req, MAX_CONTROL_BYTES)));
    if (!parsed.success) return jsonReply(400, { error: 'expected {provider, checkId, deliveries}' });
    const { provider, checkId, deliveries } = parsed.data;
    const sent = await state.webhooks.send(provider, checkId, deliveries);
    return jsonReply(200, { sent: sent.map(({ delivery, statuses }) => ({ delivery, statuses })) });
  }
  return jsonReply(404, { error: 'not found' });
}

const webhookRequestSchema = z.strictObject({
  provider: z.enum(PROVIDERS),
  checkId: z.string().min(1).max(512),
  deliveries: z.array(z.enum(WEBHOOK_DELIVERIES)).min(1).max(10).default(['good']),
});

function toScripts(body: unknown): ParsedAnyCheckScript[] {
  const single = typeof body === 'object' && body !== null && !Array.isArray(body) && 'provider' in body;
  return single ? [parseCheckScript(body)] : parseScenario(body);
}

/** Creates validated scripts, refusing the whole batch if any id is taken or repeated. */
export function addChecks(state: FakeState, scripts: readonly ParsedAnyCheckScript[]): CreatedCheck[] {
  const wanted = new Set<string>();
  for (const script of scripts) {
    if (script.checkId === undefined) continue;
    const key = `${script.provider}:${script.checkId}`;
    if (wanted.has(key) || state.checks.has(key)) throw new DuplicateCheckError(`a ${script.provider} check with this id already exists`);
    wanted.add(key);
  }
  return scripts.map((script) => createCheck(state, script));
}

export function listChecks(state: FakeState): CreatedCheck[] {
  return [...state.checks.values()].map(describeCheck);
}
