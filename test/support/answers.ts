/**
 * Provider answers as the wire carries them (HTTP status and body, shaped as the three documents show): the archive
 * engine's input in tests. A stub client (archive-harness.ts) serves them and the real interpreters read them, so the
 * engine is tested on what a provider sends, not on what our own clients make of it.
 */
import type { NoResultReason, ProviderName } from '../../lambdas/checks/check-status';

export interface ScriptedAnswer {
  httpStatus: number;
  /** Serialized with JSON.stringify. */
  body?: unknown;
  /** The body as text, instead of `body`. */
  text?: string;
}

export function livenessComplete(result: Record<string, unknown>, checkedAt = '2026-03-19T10:35:00.000Z'): ScriptedAnswer {
  return { httpStatus: 200, body: { status: 'complete', result: { passed: true, confidence: 0.97, threshold: 0.8, checked_at: checkedAt, ...result } } };
}

export const KYC_SESSION_ID = '550e8400-e29b-11d4-a716-446655440000';

export function kycComplete(session: Record<string, unknown>, status = 'success'): ScriptedAnswer {
  return {
    httpStatus: 200,
    body: {
      status,
      sessionId: KYC_SESSION_ID,
      errors: [],
      clientKey: 'my_client_key_123',
      email: 'user@example.com',
      createdAt: '2026-03-19T10:31:06.000Z',
      secondsToLive: 0,
      responseTime: '2026-03-19T10:31:30.000Z',
      ...session,
    },
  };
}

export const VERIFICATION_COMPLETED = {
  id: 'ver_abc123def456',
  status: 'completed',
  content: 'The original content that was verified...',
  verdict: 'true',
  confidence: 0.95,
  decision: 'accept',
  reasoning: 'The claim is factually accurate based on multiple authoritative sources.',
  paradigmResults: [
    { id: 'pr_111', paradigm: 'reasoning', verdict: 'true', confidence: 0.94, reasoning: 'Analysis indicates factual accuracy' },
    { id: 'pr_222', paradigm: 'tool', verdict: 'true', confidence: 0.97, reasoning: 'Confirmed by 3 authoritative sources' },
  ],
  processingTimeMs: 2100,
  costCents: 5,
  metadata: { source: 'article-123' },
  createdAt: '2024-01-15T10:30:00Z',
  completedAt: '2024-01-15T10:30:02Z',
};

export const VERIFICATION_ESCALATED = {
  id: 'ver_abc123def456',
  status: 'escalated',
  content: 'The content being verified...',
  verdict: 'uncertain',
  confidence: 0.45,
  escalation: { id: 'esc_xyz789', reason: 'low_confidence', priority: 'high', deadline: '2024-01-16T10:30:00Z', status: 'pending' },
  createdAt: '2024-01-15T10:30:00Z',
};

export function verificationComplete(body: Record<string, unknown> = VERIFICATION_COMPLETED): ScriptedAnswer {
  return { httpStatus: 200, body };
}

export function verificationEscalated(body: Record<string, unknown> = VERIFICATION_ESCALATED): ScriptedAnswer {
  return { httpStatus: 200, body };
}

/** The documented answer of each way a check ends without a result; `body` replaces the documented one. */
export function noResult(provider: ProviderName, reason: NoResultReason, body?: unknown): ScriptedAnswer {
  const answers: Partial<Record<`${ProviderName}/${NoResultReason}`, ScriptedAnswer>> = {
    'liveness/expired': { httpStatus: 410, body: { error: 'link expired' } },
    'liveness/invalid': { httpStatus: 400, body: { error: 'invalid or unknown token' } },
    'liveness/failed': { httpStatus: 200, body: { status: 'failed' } },
    'kyc/not-found': { httpStatus: 200, body: { status: 'error', message: 'session not found' } },
    'kyc/invalid': { httpStatus: 400, body: { status: 'error', message: 'invalid schema', details: [{ expected: {}, actual: 'x', path: 'sessionId' }] } },
    'kyc/expired': { httpStatus: 200, body: { status: 'expired', sessionId: KYC_SESSION_ID, results: [] } },
    'kyc/exception': { httpStatus: 200, body: { status: 'exception', sessionId: KYC_SESSION_ID, errors: ['internal'], results: [] } },
    'verification/not-found': { httpStatus: 404, body: { error: { code: 'not_found', message: 'Verification not found' } } },
    'verification/forbidden': { httpStatus: 403, body: { error: { code: 'forbidden', message: 'This verification belongs to a different organization' } } },
  };
  const answer = answers[`${provider}/${reason}`];
  if (!answer) throw new Error(`no documented ${provider} answer ends ${reason}`);
  return body === undefined ? answer : { ...answer, body };
}

export function pending(provider: ProviderName): ScriptedAnswer {
  switch (provider) {
    case 'liveness':
      return { httpStatus: 202, body: { status: 'in_progress' } };
    case 'kyc':
      return { httpStatus: 200, body: { status: 'processing', sessionId: KYC_SESSION_ID, results: [] } };
    case 'verification':
      return { httpStatus: 200, body: { id: 'ver_abc123def456', status: 'processing', createdAt: '2024-01-15T10:30:00Z' } };
  }
}
