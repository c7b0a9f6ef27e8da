/**
 * KYC: `POST {base}/kyc/session/status`. A JWT credential travels in the `token` header; an API token (a timeuuid)
 * in the body. Lookup by clientKey when given (the provider ignores sessionId then, so it is not sent), otherwise by
 * sessionId, sent as given: the provider's 400 decides whether it is one.
 *
 * Whatever the lookup, the answer must be about the session the check names: a clientKey finds the client's latest
 * session, so an answer about another one is asked again by sessionId, and an answer that still names another
 * session is refused (archiving another person's session under this check would be worse than failing).
 */
import { ConfigurationError, IdentityMismatchError, InvalidCheckInputError, ProviderAuthError, ProviderContractError } from '../../common/errors';
import { joinUrl, requestJson, type HttpResponse } from '../../common/http';
import { answerOf } from '../answer';
import type { CheckRef, CheckStatus, ProviderAnswer, ProviderClient } from '../../checks/check-status';
import { assertRefFor, loadCredential, resolveClientOptions, type ProviderClientOptions } from '../client-options';
import { guardUntyped } from '../guard';
import { Reading, isRecord, statusWord } from '../lenient';
import { KYC_MESSAGES, isJwtShaped, isUuidShaped, isValidClientKey, type KycStatusRequest } from './schema';
import { KYC_SESSION } from './shape';

/** Results hold links, not image bytes; a long history still fits comfortably. */
export const KYC_DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const MAX_SESSION_ID_LENGTH = 2048;

export type KycClient = ProviderClient;

/** By clientKey (the answer must still be about `sessionId`, the check's own id), or by sessionId. */
type Lookup = { by: 'clientKey'; clientKey: string; sessionId: string } | { by: 'sessionId'; sessionId: string };

export function createKycClient(options: ProviderClientOptions): KycClient {
  const resolved = resolveClientOptions('kyc', options, KYC_DEFAULT_MAX_RESPONSE_BYTES);
  const url = joinUrl(resolved.baseUrl, 'kyc/session/status');
  const fetchAnswer: KycClient['fetchAnswer'] = (ref, { signal } = {}) =>
    guardUntyped('kyc', async () => {
      const lookup = kycLookupOf(ref);
      const credential = await loadCredential('kyc', resolved.credentials);
      const ask = async (asked: Lookup): Promise<HttpResponse> => {
        const { headers, body } = buildKycRequest(asked, credential);
        const response = await requestJson({
          provider: 'kyc',
          method: 'POST',
          url,
          headers,
          json: body,
          expectedStatuses: [200, 400, 401],
          jsonStatuses: [200],
          timeoutMs: resolved.timeoutMs,
          maxResponseBytes: resolved.maxResponseBytes,
          signal,
        });
        if (response.status === 401) throw new ProviderAuthError('kyc: HTTP 401 access denied, the token was refused');
        return response;
      };
      let response = await ask(lookup);
      if (lookup.by === 'clientKey' && answersAnotherSession(response, lookup.sessionId)) {
        // clientKey finds the client's latest session; this check is about the session the event named.
        response = await ask({ by: 'sessionId', sessionId: lookup.sessionId });
      }
      assertSameSession(response, lookup);
      return answerOf(response, new Date());
    }, resolved.credentials);
  const interpret = (answer: ProviderAnswer) => interpretKycAnswer(answer);
  return {
    provider: 'kyc',
    fetchAnswer,
    interpret,
    getStatus: async (ref, options) => interpret(await fetchAnswer(ref, options)),
  };
}

/** The lookup a ref asks for; InvalidCheckInputError (never echoing the value) when it cannot be sent at all. */
export function kycLookupOf(ref: CheckRef): Lookup {
  assertRefFor('kyc', ref);
  if (ref.checkId.length === 0 || ref.checkId.length > MAX_SESSION_ID_LENGTH) {
    throw new InvalidCheckInputError(`kyc: the sessionId must be a non-empty string of at most ${MAX_SESSION_ID_LENGTH} characters`);
  }
  if (ref.clientKey === undefined) return { by: 'sessionId', sessionId: ref.checkId };
  if (!isValidClientKey(ref.clientKey)) {
    throw new InvalidCheckInputError('kyc: clientKey must be a non-empty string of at most 36 characters');
  }
  return { by: 'clientKey', clientKey: ref.clientKey, sessionId: ref.checkId };
}

/** Headers and body for the status request; the credential's shape picks the documented auth method. */
export function buildKycRequest(
  lookup: Lookup,
  credential: string,
): { headers: Record<string, string>; body: KycStatusRequest } {
  const key = lookup.by === 'clientKey' ? { clientKey: lookup.clientKey } : { sessionId: lookup.sessionId };
  if (isJwtShaped(credential)) return { headers: { token: credential }, body: key };
  if (isUuidShaped(credential)) return { headers: {}, body: { token: credential, ...key } };
  throw new ConfigurationError('kyc: the credential is neither a JWT nor an API token (timeuuid)');
}

/** Reads one KYC answer (200 or 400). Never throws. */
export function interpretKycAnswer(answer: ProviderAnswer): CheckStatus {
  const reading = new Reading();
  const body = isRecord(answer.json) ? answer.json : undefined;
  if (answer.httpStatus === 400) return invalidRequest(body, reading);

  const base = { provider: 'kyc' as const };
  if (!body) {
    reading.flag([]);
    return { ...base, kind: 'pending', providerStatus: 'unreadable', unknownStatus: true, times: {}, ...reading.driftField() };
  }
  const word = statusWord(reading.text(body.status, ['status']));
  if (word === 'error') {
    const message = statusWord(reading.text(body.message, ['message']));
    if (message === statusWord(KYC_MESSAGES.notFound)) {
      return { ...base, kind: 'no-result', reason: 'not-found', providerStatus: 'error', detail: 'KYC session not found', times: {}, ...reading.driftField() };
    }
    // An error the document does not describe: not an answer about the session, so polling goes on.
    reading.flag(['message']);
    return { ...base, kind: 'pending', providerStatus: 'error', unknownStatus: true, times: {}, ...reading.driftField() };
  }

  reading.check(body, KYC_SESSION);
  const createdAt = reading.time(body.createdAt, ['createdAt']);
  const respondedAt = reading.time(body.responseTime, ['responseTime']);
  const secondsToLive = reading.number(body.secondsToLive, ['secondsToLive']);
  const times = { ...(createdAt ? { createdAt } : {}), ...(respondedAt ? { respondedAt } : {}) };
  // A terminal answer's responseTime is the latest moment the session is known to have ended by.
  const terminalTimes = { ...times, ...(respondedAt ? { completedAt: respondedAt } : {}) };
  const ttl = secondsToLive !== undefined ? { secondsToLive } : {};
  const hasResults = Array.isArray(body.results) && body.results.length > 0;
  const complete = (outcome: string): CheckStatus => ({
    ...base,
    kind: 'complete',
    providerStatus: word ?? 'unknown',
    outcome,
    ...ttl,
    times: terminalTimes,
    result: answer.json,
    ...reading.driftField(),
  });

  switch (word) {
    case 'idle':
    case 'processing':
      return { ...base, kind: 'pending', providerStatus: word, ...ttl, times, ...reading.driftField() };
    case 'success':
    case 'failed':
      // Failed sessions still hold task results and images worth archiving.
      return complete(word);
    case 'exception':
    case 'expired':
      // Whatever results the session reached are evidence too; without any, the answer alone is kept.
      if (hasResults) return complete(word);
      return {
        ...base,
        kind: 'no-result',
        reason: word,
        providerStatus: word,
        detail: word === 'exception' ? 'KYC session ended with a system exception' : 'KYC session lifetime expired',
        times: terminalTimes,
        ...reading.driftField(),
      };
  }
  reading.flag(['status']);
  // No status the document lists. A session that carries results is archived as it is; otherwise polling goes on.
  if (word === undefined && hasResults) return complete('unknown');
  return { ...base, kind: 'pending', providerStatus: word ?? 'unknown', unknownStatus: true, ...ttl, times, ...reading.driftField() };
}

/**
 * 400: the provider refused the request. `details[].actual` echoes the sessionId/clientKey sent, so the detail names
 * only the paths (the answer itself is kept as evidence).
 */
function invalidRequest(body: Record<string, unknown> | undefined, reading: Reading): CheckStatus {
  const message = statusWord(reading.text(body?.message, ['message']));
  let detail = 'KYC rejected the request (HTTP 400)';
  if (message === statusWord(KYC_MESSAGES.invalidSchema)) {
    const details = Array.isArray(body?.details) ? body.details : [];
    const paths = details.map((entry) => safePath(isRecord(entry) ? entry.path : undefined));
    detail = `KYC rejected the request: invalid schema${paths.length ? ` at ${[...new Set(paths)].join(', ')}` : ''}`;
  } else if (message === statusWord(KYC_MESSAGES.identifierRequired)) {
    detail = `KYC rejected the request: ${KYC_MESSAGES.identifierRequired}`;
  }
  return { provider: 'kyc', kind: 'no-result', reason: 'invalid', providerStatus: '400', detail, times: {}, ...reading.driftField() };
}

/** A provider-reported path, only if it looks like a field path (it is echoed into records). */
function safePath(path: unknown): string {
  const joined = Array.isArray(path) ? path.join('.') : path;
  return typeof joined === 'string' && /^[A-Za-z0-9_.[\]-]{1,64}$/.test(joined) ? joined : '(unnamed)';
}

function sessionIdOf(response: HttpResponse): string | undefined {
  const id = isRecord(response.json) ? response.json.sessionId : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id).trim().toLowerCase() : undefined;
}

function answersAnotherSession(response: HttpResponse, sessionId: string): boolean {
  const answered = response.status === 200 ? sessionIdOf(response) : undefined;
  return answered !== undefined && answered !== sessionId.trim().toLowerCase();
}

/**
 * Refuses an answer that is not provably about the check's session: a session answer (200, not the provider's
 * "error" status) must name the check's sessionId, whatever the lookup — a clientKey finds the client's latest
 * session, which for a checkId that is no session id (or one of another client) is someone else's. A 400 about the
 * request itself names no session and is kept as the provider's verdict.
 */
function assertSameSession(response: HttpResponse, lookup: Lookup): void {
  if (response.status !== 200) return;
  const body = isRecord(response.json) ? response.json : undefined;
  if (body && statusWord(typeof body.status === 'string' ? body.status : '') === 'error') return;
  const clientKey = body?.clientKey;
  const otherClient = lookup.by === 'clientKey' && typeof clientKey === 'string' && clientKey !== '' && clientKey !== lookup.clientKey;
  const answered = sessionIdOf(response);
  if (answered === undefined || answered !== lookup.sessionId.trim().toLowerCase() || otherClient) {
    throw new IdentityMismatchError(
      `kyc: the answer is not about the session the check names (asked by ${lookup.by}; ${answered === undefined ? 'it names no session' : 'it names another session'})`,
    );
  }
}
