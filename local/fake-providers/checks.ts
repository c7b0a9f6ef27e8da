import { randomBytes, randomUUID } from 'node:crypto';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { renderAnswer } from './answers';
import type { ParsedAnswersScript } from './answers-script';
import { DuplicateCheckError } from './errors';
import { newLivenessToken, newPrefixedId, newVerificationId } from './ids';
import { layoutKycSession } from './kyc-layout';
import type { ParsedAnyCheckScript, ParsedCheckScript } from './script';
import { checkKey, type AnswersCheck, type CheckRecord, type FakeState, type StoredCheck } from './state';

/** What a client needs to poll a created check (the fields of a CheckRef). */
export interface CreatedCheck {
  provider: ProviderName;
  /** Liveness token, KYC sessionId (UUID v1) or verification id. */
  checkId: string;
  /** KYC only. */
  clientKey?: string;
  label?: string;
}

/** Simulated processing time of a check created terminal. */
const BACKDATED_PROCESSING_MS = 2000;

/** Creates a check from a validated script of either kind and registers it (and, for KYC, its clientKey). */
export function createCheck(state: FakeState, script: ParsedAnyCheckScript): CreatedCheck {
  const check = 'answers' in script ? newAnswersCheck(state, script) : newLifecycleCheck(state, script);
  const key = checkKey(check.provider, check.checkId);
  // The message names the provider only: a liveness id is a bearer token.
  if (state.checks.has(key)) throw new DuplicateCheckError(`a ${check.provider} check with this id already exists`);
  state.checks.set(key, check);
  if (check.provider === 'kyc') {
    state.sessionsByClientKey.set(check.clientKey, check);
    if (check.kind === 'lifecycle') layoutKycSession(state, check);
  }
  if (check.kind === 'lifecycle') state.webhooks?.schedule(check);
  return describeCheck(check);
}

export function describeCheck(check: StoredCheck): CreatedCheck {
  return {
    provider: check.provider,
    checkId: check.checkId,
    ...(check.provider === 'kyc' ? { clientKey: check.clientKey } : {}),
    ...(check.label !== undefined ? { label: check.label } : {}),
  };
}

function newClientKey(): string {
  return `client_${randomBytes(6).toString('hex')}`;
}

function newLifecycleCheck(state: FakeState, script: ParsedCheckScript): CheckRecord {
  const now = state.clock.now();
  // A check without a pending phase is created terminal, as if it had just been processed (for completedAgoMs:
  // long ago), so its times stay ordered: createdAt < task times < outcome.
  const hasPendingPhase = script.pending?.polls !== undefined || script.pending?.ms !== undefined;
  const terminalAt = hasPendingPhase ? undefined : now - (script.completedAgoMs ?? 0);
  const base = {
    kind: 'lifecycle' as const,
    label: script.label,
    createdAt: terminalAt === undefined ? now : terminalAt - BACKDATED_PROCESSING_MS,
    requests: 0,
    answers: 0,
    truncated: 0,
    terminalAnswers: 0,
    ...(script.faults.outage && script.faults.outage.afterTerminalAnswers === undefined ? { outageFrom: now } : {}),
    terminalAt,
  };

  switch (script.provider) {
    case 'liveness':
      return { ...base, provider: 'liveness', script, checkId: script.checkId ?? newLivenessToken() };
    case 'verification':
      return {
        ...base,
        provider: 'verification',
        script,
        checkId: script.checkId ?? newVerificationId(),
        paradigmIds: [newPrefixedId('pr'), newPrefixedId('pr')],
        escalationId: newPrefixedId('esc'),
        escalatedAnswers: 0,
      };
    case 'kyc': {
      const clientKey = script.clientKey ?? newClientKey();
      return {
        ...base,
        provider: 'kyc',
        script,
        checkId: script.checkId ?? state.newSessionId(base.createdAt),
        clientKey,
        isClientNew: !state.sessionsByClientKey.has(clientKey),
        schemaId: randomUUID(),
        clientId: randomUUID(),
        tasks: [],
      };
    }
  }
}

/** Ids default as for lifecycle checks; the answers are rendered once, with this server's base URL and the ids. */
function newAnswersCheck(state: FakeState, script: ParsedAnswersScript): AnswersCheck {
  const base = { kind: 'answers' as const, label: script.label, script, requests: 0 };
  const render = (checkId: string, clientKey?: string) =>
    script.answers.map((answer) => renderAnswer(answer, script.provider, { baseUrl: state.baseUrl, checkId, clientKey }));
  switch (script.provider) {
    case 'liveness':
    case 'verification': {
      const checkId = script.checkId ?? (script.provider === 'liveness' ? newLivenessToken() : newVerificationId());
      return { ...base, provider: script.provider, checkId, served: render(checkId) };
    }
    case 'kyc': {
      const checkId = script.checkId ?? state.newSessionId(state.clock.now());
      const clientKey = script.clientKey ?? newClientKey();
      return { ...base, provider: 'kyc', checkId, clientKey, served: render(checkId, clientKey) };
    }
  }
}
