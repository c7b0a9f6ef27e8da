import { randomBytes, randomUUID } from 'node:crypto';
import type { ProviderName } from '../../../lambdas/providers/check-status';
import { DuplicateCheckError } from './errors';
import { newLivenessToken, newPrefixedId, newVerificationId } from './ids';
import { layoutKycSession } from './kyc-layout';
import type { ParsedCheckScript } from './script';
import { checkKey, type CheckRecord, type FakeState } from './state';

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

/** Creates a check from a validated script and registers it (and, for KYC, its image paths). */
export function createCheck(state: FakeState, script: ParsedCheckScript): CreatedCheck {
  const now = state.clock.now();
  // A check without a pending phase is created terminal, as if it had just been processed (for completedAgoMs:
  // long ago), so its times stay ordered: createdAt < task times < outcome.
  const hasPendingPhase = script.pending?.polls !== undefined || script.pending?.ms !== undefined;
  const terminalAt = hasPendingPhase ? undefined : now - (script.completedAgoMs ?? 0);
  const base = {
    label: script.label,
    createdAt: terminalAt === undefined ? now : terminalAt - BACKDATED_PROCESSING_MS,
    requests: 0,
    answers: 0,
    truncated: 0,
    terminalAt,
  };

  let check: CheckRecord;
  switch (script.provider) {
    case 'liveness':
      check = { ...base, provider: 'liveness', script, checkId: script.checkId ?? newLivenessToken() };
      break;
    case 'verification':
      check = {
        ...base,
        provider: 'verification',
        script,
        checkId: script.checkId ?? newVerificationId(),
        paradigmIds: [newPrefixedId('pr'), newPrefixedId('pr')],
        escalationId: newPrefixedId('esc'),
        escalatedAnswers: 0,
      };
      break;
    case 'kyc': {
      const clientKey = script.clientKey ?? `client_${randomBytes(6).toString('hex')}`;
      check = {
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
      break;
    }
  }
  const key = checkKey(check.provider, check.checkId);
  // The message names the provider only: a liveness id is a bearer token.
  if (state.checks.has(key)) throw new DuplicateCheckError(`a ${check.provider} check with this id already exists`);
  state.checks.set(key, check);
  if (check.provider === 'kyc') {
    state.sessionsByClientKey.set(check.clientKey, check);
    layoutKycSession(state, check);
  }
  return {
    provider: check.provider,
    checkId: check.checkId,
    ...(check.provider === 'kyc' ? { clientKey: check.clientKey } : {}),
    ...(check.label !== undefined ? { label: check.label } : {}),
  };
}
