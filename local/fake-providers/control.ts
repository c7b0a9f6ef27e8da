/**
 * The control API, for local mode and benchmarks driving a running server (no auth: loopback only).
 *   POST /_control/checks  body: one script, an array of scripts, or {"checks": [...]} → 201 {"checks": [created]}
 *   GET  /_control/checks  → {"checks": [created]} (all checks, in creation order)
 *   GET  /_control/stats   → stats
 */
import type { IncomingMessage } from 'node:http';
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
  return jsonReply(404, { error: 'not found' });
}

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
