/** Content verification: `GET {base}/v1/verify/{id}` with `Authorization: Bearer <key>`. */
import { InvalidCheckInputError, ProviderAuthError, ProviderContractError } from '../../common/errors';
import { joinUrl, requestJson, requireJson, type HttpResponse } from '../../common/http';
import type { CheckRef, CheckStatus, ProviderClient } from '../check-status';
import { assertRefFor, loadCredential, resolveClientOptions, type ProviderClientOptions } from '../client-options';
import { guardUntyped } from '../guard';
import { parseBody } from '../parse-body';
import { providerTimes, toIso } from '../shared-schema';
import { verificationErrorSchema, verificationSchema, type VerificationResult } from './schema';

export const VERIFICATION_DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const MAX_ID_LENGTH = 256;

export type VerificationClient = ProviderClient<VerificationResult>;

export function createVerificationClient(options: ProviderClientOptions): VerificationClient {
  const resolved = resolveClientOptions('verification', options, VERIFICATION_DEFAULT_MAX_RESPONSE_BYTES);
  return {
    provider: 'verification',
    getStatus: (ref, { signal } = {}) =>
      guardUntyped('verification', async () => {
        validateVerificationRef(ref);
        const apiKey = await loadCredential('verification', resolved.credentials);
        const response = await requestJson({
          provider: 'verification',
          method: 'GET',
          url: joinUrl(resolved.baseUrl, `v1/verify/${encodeURIComponent(ref.checkId)}`),
          headers: { authorization: `Bearer ${apiKey}` },
          expectedStatuses: [200, 401, 403, 404],
          timeoutMs: resolved.timeoutMs,
          maxResponseBytes: resolved.maxResponseBytes,
          signal,
        });
        return interpretVerificationResponse(response, ref.checkId);
      }, resolved.credentials),
  };
}

/**
 * Rejects ids that cannot be valid before any request. `.` and `..` survive encodeURIComponent and the URL parser
 * would resolve them as path segments (`/v1/verify/..` is `/v1/`).
 */
export function validateVerificationRef(ref: CheckRef): void {
  assertRefFor('verification', ref);
  const id = ref.checkId;
  if (id.length === 0 || id.length > MAX_ID_LENGTH || id === '.' || id === '..') {
    throw new InvalidCheckInputError(
      `verification: the id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, not a dot segment`,
    );
  }
}

/** Maps one verification answer (status already among 200/401/403/404) onto CheckStatus. */
export function interpretVerificationResponse(
  response: HttpResponse,
  requestedId: string,
): CheckStatus<VerificationResult> {
  const base = { provider: 'verification' as const };
  switch (response.status) {
    case 200: {
      const json = requireJson('verification', response);
      const body = parseBody('verification', 'HTTP 200 body', verificationSchema, json);
      if (body.id !== requestedId) {
        throw new ProviderContractError('verification: the answer is about a different verification than asked for');
      }
      const times = providerTimes({ createdAt: toIso(body.createdAt), completedAt: toIso(body.completedAt) });
      switch (body.status) {
        case 'processing':
          return { ...base, kind: 'pending', providerStatus: body.status, times };
        case 'completed':
          return {
            ...base,
            kind: 'complete',
            providerStatus: body.status,
            outcome: body.verdict,
            confidence: body.confidence,
            times,
            result: body,
          };
        case 'escalated':
          return {
            ...base,
            kind: 'escalated',
            providerStatus: body.status,
            outcome: body.verdict,
            confidence: body.confidence,
            escalation: body.escalation,
            times,
            result: body,
          };
      }
    }
    // A 404/403 without the documented error envelope (a gateway's page, a wrong base path) must not be recorded as
    // the check's outcome: it fails as a contract violation instead.
    case 404:
    case 403: {
      const expectedCode = response.status === 404 ? 'not_found' : 'forbidden';
      const body = parseBody(
        'verification',
        `HTTP ${response.status} body`,
        verificationErrorSchema,
        requireJson('verification', response),
      );
      if (body.error.code !== expectedCode) {
        throw new ProviderContractError(`verification: HTTP ${response.status} with an undocumented error code`);
      }
      return response.status === 404
        ? {
            ...base,
            kind: 'no-result',
            reason: 'not-found',
            providerStatus: '404',
            detail: 'verification not found',
            times: {},
            body,
          }
        : {
            ...base,
            kind: 'no-result',
            reason: 'forbidden',
            providerStatus: '403',
            detail: 'verification belongs to a different organization',
            times: {},
            body,
          };
    }
    case 401:
      throw new ProviderAuthError('verification: HTTP 401, the API key was refused');
    default:
      throw new ProviderContractError(`verification: unexpected HTTP ${response.status}`);
  }
}
