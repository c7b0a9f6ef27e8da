/**
 * Liveness: `GET {base}/liveness_check?token=<token>` with `x-api-key`. The token is a bearer secret: it only ever
 * appears in the query string of the request, never in errors, details or kept bodies.
 */
import { InvalidCheckInputError, ProviderAuthError, ProviderContractError } from '../../common/errors';
import { joinUrl, requestJson, requireJson, type HttpResponse } from '../../common/http';
import type { CheckRef, CheckStatus, ProviderClient } from '../check-status';
import { assertRefFor, loadCredential, resolveClientOptions, type ProviderClientOptions } from '../client-options';
import { parseBody } from '../parse-body';
import { guardUntyped } from '../guard';
import { scrubSecret } from '../scrub';
import {
  checkedAtToIso,
  livenessFinalBodySchema,
  livenessPendingBodySchema,
  type LivenessCompleteBody,
} from './schema';

export const LIVENESS_DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Far longer than any real token; keeps an absurd value out of the request line. */
const MAX_TOKEN_LENGTH = 4096;

export type LivenessClient = ProviderClient<LivenessCompleteBody>;

export function createLivenessClient(options: ProviderClientOptions): LivenessClient {
  const resolved = resolveClientOptions('liveness', options, LIVENESS_DEFAULT_MAX_RESPONSE_BYTES);
  const endpoint = joinUrl(resolved.baseUrl, 'liveness_check');
  return {
    provider: 'liveness',
    getStatus: (ref, { signal } = {}) =>
      guardUntyped('liveness', async () => {
        validateLivenessRef(ref);
        const apiKey = await loadCredential('liveness', resolved.credentials);
        const url = new URL(endpoint.href);
        url.searchParams.set('token', ref.checkId);
        const response = await requestJson({
          provider: 'liveness',
          method: 'GET',
          url,
          headers: { 'x-api-key': apiKey },
          expectedStatuses: [200, 202, 400, 401, 403, 410],
          timeoutMs: resolved.timeoutMs,
          maxResponseBytes: resolved.maxResponseBytes,
          signal,
        });
        // The token may come back in the answer (an `id`, a message): kept bodies must not carry it.
        return scrubSecret(interpretLivenessResponse(response), ref.checkId);
      }, resolved.credentials),
  };
}

/** Rejects a token that cannot be valid before any request (the message never echoes it). */
export function validateLivenessRef(ref: CheckRef): void {
  assertRefFor('liveness', ref);
  if (ref.checkId.length === 0 || ref.checkId.length > MAX_TOKEN_LENGTH) {
    throw new InvalidCheckInputError(
      `liveness: the token must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`,
    );
  }
}

/** Maps one liveness answer (status already among the expected ones) onto CheckStatus. */
export function interpretLivenessResponse(response: HttpResponse): CheckStatus<LivenessCompleteBody> {
  const base = { provider: 'liveness' as const };
  switch (response.status) {
    case 202: {
      if (response.bodyText.trim() === '') return { ...base, kind: 'pending', providerStatus: 'pending', times: {} };
      const body = parseBody('liveness', 'HTTP 202 body', livenessPendingBodySchema, requireJson('liveness', response));
      return { ...base, kind: 'pending', providerStatus: body.status ?? 'pending', times: {} };
    }
    case 200: {
      const body = parseBody('liveness', 'HTTP 200 body', livenessFinalBodySchema, requireJson('liveness', response));
      if (body.status === 'failed') {
        return {
          ...base,
          kind: 'no-result',
          reason: 'failed',
          providerStatus: 'failed',
          detail: 'liveness check ended in the failed state without a result',
          times: {},
          body,
        };
      }
      const { result } = body;
      return {
        ...base,
        kind: 'complete',
        providerStatus: body.status ?? 'complete',
        outcome: result.passed ? 'passed' : 'failed',
        confidence: result.confidence,
        times: { completedAt: checkedAtToIso(result.checked_at) },
        result: body,
      };
    }
    // 410 and 400 bodies are undocumented and may echo the token: not kept.
    case 410:
      return {
        ...base,
        kind: 'no-result',
        reason: 'expired',
        providerStatus: '410',
        detail: 'liveness link expired without completion (HTTP 410)',
        times: {},
      };
    case 400:
      return {
        ...base,
        kind: 'no-result',
        reason: 'invalid',
        providerStatus: '400',
        detail: 'liveness rejected the token as invalid or unknown (HTTP 400)',
        times: {},
      };
    case 401:
    case 403:
      throw new ProviderAuthError(`liveness: HTTP ${response.status}, the API key was refused`);
    default:
      throw new ProviderContractError(`liveness: unexpected HTTP ${response.status}`);
  }
}
