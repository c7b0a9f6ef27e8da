/**
 * KYC: `POST {base}/kyc/session/status`. A JWT credential travels in the `token` header; an API token (a timeuuid)
 * in the body. Lookup by clientKey when given (the provider ignores sessionId then, so it is not sent), otherwise by
 * sessionId. Request input is validated before anything is sent.
 */
import {
  ConfigurationError,
  InvalidCheckInputError,
  ProviderAuthError,
  ProviderContractError,
} from '../../common/errors';
import { joinUrl, requestJson, requireJson, type HttpResponse } from '../../common/http';
import type { CheckRef, CheckStatus, ProviderClient } from '../check-status';
import { assertRefFor, loadCredential, resolveClientOptions, type ProviderClientOptions } from '../client-options';
import { guardUntyped } from '../guard';
import { parseBody } from '../parse-body';
import { providerTimes, toIso, uuidShaped } from '../shared-schema';
import {
  isJwtShaped,
  isTimeUuid,
  isValidClientKey,
  KYC_MESSAGES,
  kycErrorSchema,
  kycStatusResponseSchema,
  type KycError,
  type KycSession,
  type KycStatusRequest,
} from './schema';

/** Results hold links, not image bytes; a long history still fits comfortably. */
export const KYC_DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export type KycClient = ProviderClient<KycSession>;

/** Which lookup the request made: the answer must be about that session. */
/** By clientKey, also naming the session the event gave (when it is a timeuuid), or by sessionId alone. */
type Lookup = { by: 'clientKey'; clientKey: string; sessionId?: string } | { by: 'sessionId'; sessionId: string };

/** A clientKey lookup answered about another session than the one the check names (the client started again). */
class AnotherSessionAnswered extends Error {}

export function createKycClient(options: ProviderClientOptions): KycClient {
  const resolved = resolveClientOptions('kyc', options, KYC_DEFAULT_MAX_RESPONSE_BYTES);
  const url = joinUrl(resolved.baseUrl, 'kyc/session/status');
  return {
    provider: 'kyc',
    getStatus: (ref, { signal } = {}) =>
      guardUntyped('kyc', async () => {
        const lookup = kycLookupOf(ref);
        const credential = await loadCredential('kyc', resolved.credentials);
        const ask = async (asked: Lookup) => {
          const { headers, body } = buildKycRequest(asked, credential);
          const response = await requestJson({
            provider: 'kyc',
            method: 'POST',
            url,
            headers,
            json: body,
            expectedStatuses: [200, 400, 401],
            timeoutMs: resolved.timeoutMs,
            maxResponseBytes: resolved.maxResponseBytes,
            signal,
          });
          return interpretKycResponse(response, asked);
        };
        try {
          return await ask(lookup);
        } catch (error) {
          // clientKey finds the client's latest session; this check is about the session the event named.
          if (!(error instanceof AnotherSessionAnswered) || lookup.sessionId === undefined) throw error;
          return ask({ by: 'sessionId', sessionId: lookup.sessionId });
        }
      }, resolved.credentials),
  };
}

/** The lookup a ref asks for; InvalidCheckInputError (never echoing the value) when it cannot be valid. */
export function kycLookupOf(ref: CheckRef): Lookup {
  assertRefFor('kyc', ref);
  if (ref.clientKey !== undefined) {
    if (!isValidClientKey(ref.clientKey)) {
      throw new InvalidCheckInputError('kyc: clientKey must be a non-empty string of at most 36 characters');
    }
    return { by: 'clientKey', clientKey: ref.clientKey, ...(isTimeUuid(ref.checkId) ? { sessionId: ref.checkId } : {}) };
  }
  if (!isTimeUuid(ref.checkId)) {
    throw new InvalidCheckInputError('kyc: sessionId must be a UUID v1 (timeuuid) when no clientKey is given');
  }
  return { by: 'sessionId', sessionId: ref.checkId };
}

/** Headers and body for the status request; the credential's shape picks the documented auth method. */
export function buildKycRequest(
  lookup: Lookup,
  credential: string,
): { headers: Record<string, string>; body: KycStatusRequest } {
  const key = lookup.by === 'clientKey' ? { clientKey: lookup.clientKey } : { sessionId: lookup.sessionId };
  if (isJwtShaped(credential)) return { headers: { token: credential }, body: key };
  if (uuidShaped.safeParse(credential).success) return { headers: {}, body: { token: credential, ...key } };
  throw new ConfigurationError('kyc: the credential is neither a JWT nor an API token (timeuuid)');
}

/** Maps one KYC answer (status already among 200/400/401) onto CheckStatus. */
export function interpretKycResponse(response: HttpResponse, lookup: Lookup): CheckStatus<KycSession> {
  switch (response.status) {
    case 200: {
      const body = parseBody('kyc', 'HTTP 200 body', kycStatusResponseSchema, requireJson('kyc', response));
      if (body.status === 'error') return interpretKycError(body, 200);
      assertSameSession(body, lookup);
      if (lookup.by === 'clientKey' && lookup.sessionId !== undefined && body.sessionId.toLowerCase() !== lookup.sessionId.toLowerCase()) {
        throw new AnotherSessionAnswered();
      }
      return interpretSession(body);
    }
    case 400: {
      const body = parseBody('kyc', 'HTTP 400 body', kycErrorSchema, requireJson('kyc', response));
      return interpretKycError(body, 400);
    }
    case 401:
      throw new ProviderAuthError('kyc: HTTP 401 access denied, the token was refused');
    default:
      throw new ProviderContractError(`kyc: unexpected HTTP ${response.status}`);
  }
}

function interpretSession(session: KycSession): CheckStatus<KycSession> {
  const base = { provider: 'kyc' as const, providerStatus: session.status };
  const respondedAt = toIso(session.responseTime);
  const createdAt = toIso(session.createdAt);
  const times = providerTimes({ createdAt, respondedAt });
  // A terminal answer's responseTime is the latest moment the session is known to have ended by.
  const terminalTimes = providerTimes({ createdAt, respondedAt, completedAt: respondedAt });
  switch (session.status) {
    case 'idle':
    case 'processing':
      return { ...base, kind: 'pending', secondsToLive: session.secondsToLive, times };
    case 'success':
    case 'failed':
      // Failed sessions still hold task results and images worth archiving.
      return {
        ...base,
        kind: 'complete',
        outcome: session.status,
        secondsToLive: session.secondsToLive,
        times: terminalTimes,
        result: session,
      };
    case 'exception':
    case 'expired':
      return {
        ...base,
        kind: 'no-result',
        reason: session.status,
        detail:
          session.status === 'exception' ? 'KYC session ended with a system exception' : 'KYC session lifetime expired',
        times: terminalTimes,
        body: session,
      };
  }
}

/**
 * `{"status":"error"}` answers. The 400 body is not kept: `details[].actual` echoes the sessionId/clientKey sent
 * (a clientKey is only ever stored hashed). Provider messages are quoted only when they are the documented ones.
 */
function interpretKycError(body: KycError, httpStatus: 200 | 400): CheckStatus<KycSession> {
  const base = { provider: 'kyc' as const, providerStatus: body.status, times: {} };
  if (httpStatus === 200) {
    if (body.message !== KYC_MESSAGES.notFound) {
      throw new ProviderContractError('kyc: HTTP 200 with an undocumented error message');
    }
    return { ...base, kind: 'no-result', reason: 'not-found', detail: 'KYC session not found', body };
  }
  let detail = 'KYC rejected the request (HTTP 400)';
  if (body.message === KYC_MESSAGES.invalidSchema) {
    const paths = (body.details ?? []).map((d) => safePath(d.path));
    detail = `KYC rejected the request: invalid schema${paths.length ? ` at ${[...new Set(paths)].join(', ')}` : ''}`;
  } else if (body.message === KYC_MESSAGES.identifierRequired) {
    detail = `KYC rejected the request: ${KYC_MESSAGES.identifierRequired}`;
  }
  return { ...base, kind: 'no-result', reason: 'invalid', detail };
}

/** A provider-reported path, only if it looks like a field path (it is echoed into records). */
function safePath(path: string | (string | number)[] | undefined): string {
  const joined = Array.isArray(path) ? path.join('.') : path;
  return joined !== undefined && /^[A-Za-z0-9_.[\]-]{1,64}$/.test(joined) ? joined : '(unnamed)';
}

/** Archiving another person's session under this check would be worse than failing: refuse a mismatched answer. */
function assertSameSession(session: KycSession, lookup: Lookup): void {
  const mismatch =
    lookup.by === 'sessionId'
      ? session.sessionId.toLowerCase() !== lookup.sessionId.toLowerCase()
      : session.clientKey !== undefined && session.clientKey !== lookup.clientKey;
  if (mismatch) {
    throw new ProviderContractError(`kyc: the answer is about a different session than the ${lookup.by} asked for`);
  }
}
