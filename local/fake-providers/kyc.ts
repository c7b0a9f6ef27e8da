/**
 * POST /kyc/session/status (also under /v1, the documented base URL's prefix).
 * Order: auth (header `token` = JWT, or body `token` = API token) → schema → lookup (clientKey wins) → script
 * (or, for an answers-script check, its next literal answer).
 */
import type { IncomingMessage } from 'node:http';
import { isUuidV1 } from './ids';
import { credentialMatches, jsonReply, parseJson, readBody, type Reply } from './http';
import { kycSessionBody } from './kyc-body';
import type { AnswerCheck } from './answer';
import { serveAnswer } from './answers';
import { findCheck, type FakeState } from './state';

const MAX_REQUEST_BYTES = 64 * 1024;

export const KYC_STATUS_PATH = /^(?:\/v1)?\/kyc\/session\/status$/;

type Detail = { expected: Record<string, never>; actual: unknown; path: string };

export async function handleKycStatus(state: FakeState, req: IncomingMessage, answer: AnswerCheck): Promise<Reply> {
  if (req.method !== 'POST') return jsonReply(405, { status: 'error', message: 'method not allowed' }, { allow: 'POST' });
  const raw = await readBody(req, MAX_REQUEST_BYTES);
  const body = parseJson(raw);
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

  const authorized =
    credentialMatches(req.headers.token, state.credentials.kycJwt) || credentialMatches(fields.token, state.credentials.kycApiToken);
  if (!authorized) return jsonReply(401, { status: 'error', message: 'access denied' });
  if (body === undefined) return jsonReply(400, { status: 'error', message: 'invalid json' });

  const { sessionId, clientKey } = fields;
  const details: Detail[] = [];
  if (sessionId !== undefined && !(typeof sessionId === 'string' && isUuidV1(sessionId))) {
    details.push({ expected: {}, actual: sessionId, path: 'sessionId' });
  }
  if (clientKey !== undefined && !(typeof clientKey === 'string' && clientKey.length > 0 && clientKey.length <= 36)) {
    details.push({ expected: {}, actual: clientKey, path: 'clientKey' });
  }
  if (details.length) return jsonReply(400, { status: 'error', message: 'invalid schema', details });
  if (sessionId === undefined && clientKey === undefined) {
    return jsonReply(400, { status: 'error', message: 'sessionId or clientKey is required' });
  }

  const check = typeof clientKey === 'string' ? state.sessionsByClientKey.get(clientKey) : findCheck(state, 'kyc', sessionId as string);
  if (!check) return sessionNotFound();
  if (check.kind === 'answers') return serveAnswer(check);

  return answer(check, (snapshot, now) => {
    if (snapshot.terminal && check.script.outcome === 'not-found') return sessionNotFound();
    return jsonReply(200, kycSessionBody(state, check, snapshot, now));
  });
}

function sessionNotFound(): Reply {
  return jsonReply(200, { status: 'error', message: 'session not found' });
}
