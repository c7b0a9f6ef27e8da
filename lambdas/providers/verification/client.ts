/**
 * Content verification: `GET {base}/v1/verify/{id}` with `Authorization: Bearer <key>` (content-verification.txt).
 * Statuses `processing`, `completed` and `escalated` (human review); read leniently: a verdict may come as a boolean,
 * an escalation whose own status is no longer `pending` is resolved even while `status` still says `escalated`, and
 * a status the document does not list keeps the check polling.
 */
import { InvalidCheckInputError, ProviderAuthError, ProviderContractError } from '../../common/errors';
import { joinUrl, requestJson } from '../../common/http';
import { answerOf } from '../answer';
import type { CheckRef, CheckStatus, ProviderAnswer, ProviderClient } from '../../checks/check-status';
import { assertRefFor, loadCredential, resolveClientOptions, type ProviderClientOptions } from '../client-options';
import { guardUntyped } from '../guard';
import { Reading, isRecord, statusWord } from '../lenient';
import { VERIFICATION_BODY } from './shape';

export const VERIFICATION_DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const MAX_ID_LENGTH = 256;

export type VerificationClient = ProviderClient;

export function createVerificationClient(options: ProviderClientOptions): VerificationClient {
  const resolved = resolveClientOptions('verification', options, VERIFICATION_DEFAULT_MAX_RESPONSE_BYTES);
  const fetchAnswer: VerificationClient['fetchAnswer'] = (ref, { signal } = {}) =>
    guardUntyped('verification', async () => {
      validateVerificationRef(ref);
      const apiKey = await loadCredential('verification', resolved.credentials);
      const response = await requestJson({
        provider: 'verification',
        method: 'GET',
        url: joinUrl(resolved.baseUrl, `v1/verify/${encodeURIComponent(ref.checkId)}`),
        headers: { authorization: `Bearer ${apiKey}` },
        expectedStatuses: [200, 401, 403, 404],
        jsonStatuses: [200],
        timeoutMs: resolved.timeoutMs,
        maxResponseBytes: resolved.maxResponseBytes,
        signal,
      });
      if (response.status === 401) throw new ProviderAuthError('verification: HTTP 401, the API key was refused');
      // A 404/403 that is not JSON is a gateway's page or a wrong base path, not the provider's word on this check.
      if ((response.status === 404 || response.status === 403) && !isRecord(response.json)) {
        throw new ProviderContractError(`verification: HTTP ${response.status} without the provider's JSON error body`);
      }
      const id = isRecord(response.json) ? response.json.id : undefined;
      if (response.status === 200 && (typeof id === 'string' || typeof id === 'number') && String(id) !== ref.checkId) {
        throw new ProviderContractError('verification: the answer is about a different verification than asked for');
      }
      return answerOf(response, new Date());
    }, resolved.credentials);
  const interpret = (answer: ProviderAnswer) => interpretVerificationAnswer(answer);
  return {
    provider: 'verification',
    fetchAnswer,
    interpret,
    getStatus: async (ref, options) => interpret(await fetchAnswer(ref, options)),
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

/** Reads one verification answer (200, 403 or 404 with a JSON body). Never throws. */
export function interpretVerificationAnswer(answer: ProviderAnswer): CheckStatus {
  const base = { provider: 'verification' as const };
  const reading = new Reading();
  const body = isRecord(answer.json) ? answer.json : {};
  if (answer.httpStatus === 404 || answer.httpStatus === 403) {
    const expected = answer.httpStatus === 404 ? 'not_found' : 'forbidden';
    const error = isRecord(body.error) ? body.error : undefined;
    if (statusWord(reading.text(error?.code, ['error', 'code'])) !== expected) reading.flag(['error', 'code']);
    return answer.httpStatus === 404
      ? { ...base, kind: 'no-result', reason: 'not-found', providerStatus: '404', detail: 'verification not found', times: {}, ...reading.driftField() }
      : { ...base, kind: 'no-result', reason: 'forbidden', providerStatus: '403', detail: 'verification belongs to a different organization', times: {}, ...reading.driftField() };
  }

  reading.check(body, VERIFICATION_BODY);
  const word = statusWord(reading.text(body.status, ['status']));
  const createdAt = reading.time(body.createdAt, ['createdAt']);
  const completedAt = reading.time(body.completedAt, ['completedAt']);
  const times = { ...(createdAt ? { createdAt } : {}), ...(completedAt ? { completedAt } : {}) };
  const verdict = reading.text(body.verdict, ['verdict']);
  const confidence = reading.number(body.confidence, ['confidence']);
  const verdictFields = { outcome: verdict ?? 'unknown', ...(confidence !== undefined ? { confidence } : {}), result: answer.json };

  switch (word) {
    case 'processing':
      return { ...base, kind: 'pending', providerStatus: word, times, ...reading.driftField() };
    case 'completed':
      return { ...base, kind: 'complete', providerStatus: word, times, ...verdictFields, ...reading.driftField() };
    case 'escalated': {
      const escalation = isRecord(body.escalation) ? body.escalation : {};
      const field = (name: string) => reading.text(escalation[name], ['escalation', name]);
      const reviewStatus = statusWord(field('status'));
      if (reviewStatus !== undefined && reviewStatus !== 'pending') {
        // The review is over although the top-level status has not caught up: the answer is final.
        return { ...base, kind: 'complete', providerStatus: `escalated/${reviewStatus}`, times, ...verdictFields, ...reading.driftField() };
      }
      const deadline = reading.time(escalation.deadline, ['escalation', 'deadline']);
      return {
        ...base,
        kind: 'escalated',
        providerStatus: word,
        times,
        ...verdictFields,
        escalation: {
          ...(field('reason') !== undefined ? { reason: field('reason') } : {}),
          ...(field('priority') !== undefined ? { priority: field('priority') } : {}),
          ...(deadline ? { deadline } : {}),
          status: reviewStatus ?? 'pending',
        },
        ...reading.driftField(),
      };
    }
  }
  reading.flag(['status']);
  return { ...base, kind: 'pending', providerStatus: word ?? 'unknown', unknownStatus: true, times, ...reading.driftField() };
}
