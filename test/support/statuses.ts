/** CheckStatus values as the provider clients produce them: the archive engine's input in tests. */
import type { CheckStatus, NoResultReason, ProviderName } from '../../lambdas/providers/check-status';

export function livenessComplete(result: Record<string, unknown>, checkedAt = '2026-03-19T10:35:00.000Z'): CheckStatus {
  const passed = result.passed !== false;
  return {
    provider: 'liveness',
    kind: 'complete',
    providerStatus: 'complete',
    outcome: passed ? 'passed' : 'failed',
    confidence: typeof result.confidence === 'number' ? result.confidence : 0.97,
    times: { completedAt: checkedAt },
    result: { status: 'complete', result: { passed, confidence: 0.97, threshold: 0.8, checked_at: checkedAt, ...result } },
  };
}

export function kycComplete(session: Record<string, unknown>, status = 'success'): CheckStatus {
  return {
    provider: 'kyc',
    kind: 'complete',
    providerStatus: status,
    outcome: status,
    times: { createdAt: '2026-03-19T10:31:06.000Z', respondedAt: '2026-03-19T10:31:30.000Z', completedAt: '2026-03-19T10:31:30.000Z' },
    result: {
      status,
      sessionId: '550e8400-e29b-11d4-a716-446655440000',
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

export function verificationComplete(body: Record<string, unknown> = VERIFICATION_COMPLETED): CheckStatus {
  return {
    provider: 'verification',
    kind: 'complete',
    providerStatus: 'completed',
    outcome: String(body.verdict),
    confidence: body.confidence as number,
    times: { createdAt: body.createdAt as string, completedAt: body.completedAt as string },
    result: body,
  };
}

export function verificationEscalated(body: typeof VERIFICATION_ESCALATED = VERIFICATION_ESCALATED): CheckStatus {
  return {
    provider: 'verification',
    kind: 'escalated',
    providerStatus: 'escalated',
    outcome: body.verdict,
    confidence: body.confidence,
    escalation: body.escalation,
    times: { createdAt: body.createdAt },
    result: body,
  };
}

export function noResult(provider: ProviderName, reason: NoResultReason, body?: unknown): CheckStatus {
  return {
    provider,
    kind: 'no-result',
    reason,
    providerStatus: reason === 'expired' && provider === 'liveness' ? '410' : reason,
    detail: `${provider} check ended: ${reason}`,
    times: {},
    ...(body !== undefined ? { body } : {}),
  };
}

export function pending(provider: ProviderName): CheckStatus {
  return { provider, kind: 'pending', providerStatus: 'processing', times: {} };
}
