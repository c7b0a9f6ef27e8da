/**
 * Liveness: `GET {base}/liveness_check?token=<token>` with `x-api-key`. The token is a bearer secret: it only ever
 * appears in the query string of the request, never in errors, details or kept answers.
 *
 * The document (liveness-check-result.txt): 202 while pending or in progress, 200 when complete (with `result`), 410
 * expired without completion, 400 invalid or unknown token; lifecycle pending → in_progress → complete | expired |
 * failed. Read leniently (see ../lenient.ts): any 202 is pending whatever its body; a 200 that carries `result` is
 * archived whatever its status word says (a `failed` check with frames keeps its frames); a status word the document
 * does not list keeps the check polling.
 */
import { InvalidCheckInputError, ProviderAuthError } from '../../common/errors';
import { joinUrl, requestJson } from '../../common/http';
import { answerOf } from '../answer';
import type { CheckRef, CheckStatus, ProviderAnswer, ProviderClient } from '../../checks/check-status';
import { assertRefFor, loadCredential, resolveClientOptions, type ProviderClientOptions } from '../client-options';
import { guardUntyped } from '../guard';
import { Reading, isRecord, statusWord } from '../lenient';
import { LIVENESS_BODY } from './shape';

export const LIVENESS_DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Far longer than any real token; keeps an absurd value out of the request line. */
const MAX_TOKEN_LENGTH = 4096;

const PENDING_WORDS = new Set(['pending', 'in_progress']);

export type LivenessClient = ProviderClient;

export function createLivenessClient(options: ProviderClientOptions): LivenessClient {
  const resolved = resolveClientOptions('liveness', options, LIVENESS_DEFAULT_MAX_RESPONSE_BYTES);
  const endpoint = joinUrl(resolved.baseUrl, 'liveness_check');
  const fetchAnswer: LivenessClient['fetchAnswer'] = (ref, { signal } = {}) =>
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
        // A 200 is the result: one that does not parse was cut off on the way (retried).
        jsonStatuses: [200],
        timeoutMs: resolved.timeoutMs,
        maxResponseBytes: resolved.maxResponseBytes,
        signal,
      });
      if (response.status === 401 || response.status === 403) {
        throw new ProviderAuthError(`liveness: HTTP ${response.status}, the API key was refused`);
      }
      // The token may come back in the answer (an `id`, a message): the kept answer must not carry it.
      return answerOf(response, new Date(), ref.checkId);
    }, resolved.credentials);
  const interpret = (answer: ProviderAnswer) => interpretLivenessAnswer(answer);
  return {
    provider: 'liveness',
    fetchAnswer,
    interpret,
    getStatus: async (ref, options) => interpret(await fetchAnswer(ref, options)),
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

/** Reads one liveness answer (any status fetchAnswer returns). Never throws. */
export function interpretLivenessAnswer(answer: ProviderAnswer): CheckStatus {
  const base = { provider: 'liveness' as const, times: {} };
  const reading = new Reading();
  const body = isRecord(answer.json) ? answer.json : undefined;
  const word = statusWord(reading.text(body?.status, ['status']));
  const drift = () => reading.driftField();

  switch (answer.httpStatus) {
    case 202:
      return { ...base, kind: 'pending', providerStatus: word ?? 'pending', ...drift() };
    case 410:
      return { ...base, kind: 'no-result', reason: 'expired', providerStatus: '410', detail: 'liveness link expired without completion (HTTP 410)', ...drift() };
    case 400:
      return { ...base, kind: 'no-result', reason: 'invalid', providerStatus: '400', detail: 'liveness rejected the token as invalid or unknown (HTTP 400)', ...drift() };
  }

  // 200: the check is over ("stop polling once HTTP 200 is received"), unless the body says otherwise.
  if (!body) reading.flag([]);
  else reading.check(body, LIVENESS_BODY);
  const result = isRecord(body?.result) ? body.result : undefined;
  if (result) {
    const passed = reading.boolean(result.passed, ['result', 'passed']);
    const completedAt = reading.time(result.checked_at, ['result', 'checked_at']);
    const confidence = reading.number(result.confidence, ['result', 'confidence']);
    const outcome = word === 'failed' || word === 'expired' ? word : passed === undefined ? 'unknown' : passed ? 'passed' : 'failed';
    return {
      ...base,
      kind: 'complete',
      providerStatus: word ?? 'complete',
      outcome,
      ...(confidence !== undefined ? { confidence } : {}),
      times: completedAt ? { completedAt } : {},
      result: answer.json,
      ...drift(),
    };
  }
  switch (word) {
    case 'failed':
      return { ...base, kind: 'no-result', reason: 'failed', providerStatus: 'failed', detail: 'liveness check ended in the failed state without a result', ...drift() };
    case 'expired':
      return { ...base, kind: 'no-result', reason: 'expired', providerStatus: 'expired', detail: 'liveness check expired without a result', ...drift() };
    case undefined:
    case 'complete':
      // Complete, but the result is absent or unreadable: the answer is the evidence, and the record says so.
      if (body) reading.flag(['result']);
      return { ...base, kind: 'complete', providerStatus: word ?? 'complete', outcome: 'unknown', result: answer.json ?? null, ...drift() };
  }
  if (PENDING_WORDS.has(word)) return { ...base, kind: 'pending', providerStatus: word, ...drift() };
  reading.flag(['status']);
  return { ...base, kind: 'pending', providerStatus: word, unknownStatus: true, ...drift() };
}
