/**
 * GET /v1/verify/:id with `Authorization: Bearer <key>`. processing → pending body; completed → full body;
 * escalated → escalation pending, later resolved (completed body keeping `escalation`, status "resolved") or left
 * pending past its deadline; 403 for another organization's check; 404 unknown.
 * Answers-script checks get their literal answers once auth and lookup have passed.
 */
import type { IncomingMessage } from 'node:http';
import type { AnswerCheck } from './answer';
import { serveAnswer } from './answers';
import { credentialMatches, jsonReply, type Reply } from './http';
import { findCheck, type FakeState, type VerificationCheck } from './state';

export const VERIFICATION_PATH = /^\/v1\/verify\/([^/]+)$/;

const iso = (ms: number) => new Date(ms).toISOString();

function verificationError(status: number, code: string, message: string): Reply {
  return jsonReply(status, { error: { code, message } });
}

export async function handleVerification(state: FakeState, req: IncomingMessage, rawId: string, answer: AnswerCheck): Promise<Reply> {
  if (req.method !== 'GET') return verificationError(405, 'method_not_allowed', 'Method not allowed');
  const authorization = req.headers.authorization;
  const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
  if (!credentialMatches(bearer, state.credentials.verificationApiKey)) {
    return verificationError(401, 'unauthorized', 'Missing or invalid API key');
  }
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return notFound();
  }
  const check = findCheck(state, 'verification', id);
  if (!check) return notFound();
  if (check.kind === 'answers') return serveAnswer(check);

  return answer(check, (snapshot, now) => {
    const { script } = check;
    // Another organization's check is refused from the first request, whatever its lifecycle.
    if (script.outcome === 'forbidden') return verificationError(403, 'forbidden', 'This verification belongs to a different organization');
    const base = { id: check.checkId, status: 'processing', content: script.content, createdAt: iso(check.createdAt) };
    if (!snapshot.terminal) return jsonReply(200, base);
    switch (script.outcome) {
      case 'not-found':
        return notFound();
      case 'completed':
        return jsonReply(200, completedBody(check, check.terminalAt!));
      case 'escalated': {
        const escalation = {
          id: check.escalationId,
          reason: script.escalation.reason,
          priority: script.escalation.priority,
          deadline: iso(check.terminalAt! + script.escalation.deadlineMs),
        };
        if (check.resolvedAt !== undefined) {
          return jsonReply(200, { ...completedBody(check, check.resolvedAt), escalation: { ...escalation, status: 'resolved' } });
        }
        return jsonReply(200, {
          ...base,
          status: 'escalated',
          verdict: script.escalation.verdict,
          confidence: script.escalation.confidence,
          escalation: { ...escalation, status: 'pending' },
        });
      }
    }
  });
}

function notFound(): Reply {
  return verificationError(404, 'not_found', 'Verification not found');
}

function completedBody(check: VerificationCheck, completedAt: number) {
  const { script } = check;
  const processingTimeMs = Math.max(0, Math.round(completedAt - check.createdAt));
  return {
    id: check.checkId,
    status: 'completed',
    content: script.content,
    verdict: script.verdict,
    confidence: script.confidence,
    decision: script.decision,
    reasoning: 'The claim is consistent with multiple authoritative sources.',
    paradigmResults: [
      {
        id: check.paradigmIds[0],
        paradigm: 'reasoning',
        verdict: script.verdict,
        confidence: Math.max(0, Math.round((script.confidence - 0.01) * 100) / 100),
        reasoning: 'Analysis indicates factual accuracy',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        processingTimeMs: 850,
      },
      {
        id: check.paradigmIds[1],
        paradigm: 'tool',
        verdict: script.verdict,
        confidence: Math.min(1, Math.round((script.confidence + 0.02) * 100) / 100),
        reasoning: 'Confirmed by 3 authoritative sources',
        processingTimeMs: 1200,
      },
    ],
    processingTimeMs,
    costCents: 5,
    metadata: { source: 'fake-provider' },
    createdAt: iso(check.createdAt),
    completedAt: iso(completedAt),
  };
}
