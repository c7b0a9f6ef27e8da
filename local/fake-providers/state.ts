import type { ProviderName } from '../../lambdas/checks/check-status';
import type { ServedAnswer } from './answers';
import type { ParsedAnswersScript } from './answers-script';
import type { SimClock } from './clock';
import type { WebhookSender } from './webhooks';
import type { ProviderCredentials } from './credentials';
import type { ImageSpec } from './images';
import type { KycImageFault, KycScript, LivenessScript, VerificationScript } from './script';

interface CheckBase {
  /** Follows a lifecycle script (as opposed to an answers script). */
  readonly kind: 'lifecycle';
  readonly checkId: string;
  readonly label?: string;
  /** Simulated epoch ms. */
  readonly createdAt: number;
  /** Status requests that reached this check (fault answers included): drives the 5xx / 429 bursts. */
  requests: number;
  /** Real answers (not 5xx / 429): the "polls" of `pending.polls`. */
  answers: number;
  /** Answers sent truncated so far. */
  truncated: number;
  /** Terminal answers served so far (a scripted outage may begin after some). */
  terminalAnswers: number;
  /** When the scripted outage began (simulated ms), once it has. */
  outageFrom?: number;
  /** When the check reached its outcome (simulated ms); undefined while pending. */
  terminalAt?: number;
}

export interface LivenessCheck extends CheckBase {
  readonly provider: 'liveness';
  readonly script: LivenessScript;
}

export interface KycTaskLayout {
  readonly name: string;
  readonly type: 'document' | 'selfie';
  readonly status: 'success' | 'failed';
  readonly images: string[];
  readonly imagesFull: string[];
  readonly imageObjects: string[];
  readonly history: { images: string[]; imagesFull: string[] }[];
  /** Thumbnail of the task's face/document, used by the faces task. */
  readonly thumb: string;
  readonly faceSelfie?: string;
  readonly faceDoc?: string;
}

export interface KycCheck extends CheckBase {
  readonly provider: 'kyc';
  readonly script: KycScript;
  readonly clientKey: string;
  readonly isClientNew: boolean;
  readonly schemaId: string;
  readonly clientId: string;
  readonly tasks: KycTaskLayout[];
}

export interface VerificationCheck extends CheckBase {
  readonly provider: 'verification';
  readonly script: VerificationScript;
  readonly paradigmIds: readonly [string, string];
  readonly escalationId: string;
  /** Answers given while escalated (for `escalation.resolveAfter.polls`). */
  escalatedAnswers: number;
  resolvedAt?: number;
}

/** A check created from a lifecycle script. */
export type CheckRecord = LivenessCheck | KycCheck | VerificationCheck;

/** A check created from an answers script: no lifecycle, its literal answers in order. */
export type AnswersCheck = {
  readonly kind: 'answers';
  readonly checkId: string;
  readonly label?: string;
  readonly script: ParsedAnswersScript;
  /** The answers as sent, placeholders filled in once at creation. */
  readonly served: readonly ServedAnswer[];
  /** Status requests that reached this check (after auth and lookup), i.e. answers given. */
  requests: number;
} & ({ readonly provider: 'kyc'; readonly clientKey: string } | { readonly provider: 'liveness' | 'verification' });

export type StoredCheck = CheckRecord | AnswersCheck;

/** One path under /images/ on this server. */
export type ImageEntry =
  | { readonly check: KycCheck; readonly kind: 'image'; readonly spec: ImageSpec; readonly fault?: KycImageFault }
  | { readonly check: KycCheck; readonly kind: 'redirect'; readonly location: string };

export type RequestArea = ProviderName | 'images' | 'control' | 'other';

export interface ServerStats {
  requests: Record<RequestArea, number>;
  /** Responses by HTTP status code. */
  statusCodes: Record<string, number>;
  /** Image body bytes written (KYC image endpoints). */
  imageBytesSent: number;
}

/** Everything the handlers share. */
export interface FakeState {
  readonly clock: SimClock;
  readonly credentials: ProviderCredentials;
  readonly baseUrl: string;
  readonly imageWindowMs: number;
  readonly checks: Map<string, StoredCheck>;
  /** Latest KYC session per clientKey. */
  readonly sessionsByClientKey: Map<string, KycCheck | AnswersCheck>;
  /** Image paths (pathname) → what they serve. */
  readonly images: Map<string, ImageEntry>;
  readonly stats: ServerStats;
  readonly newSessionId: (epochMs: number) => string;
  /** Webhooks to a receiver, when one is configured. */
  readonly webhooks?: WebhookSender;
}

export function checkKey(provider: ProviderName, checkId: string): string {
  return `${provider}:${checkId}`;
}

/** The check a status request names, of either kind. */
export function findCheck<P extends ProviderName>(
  state: FakeState,
  provider: P,
  checkId: string,
): Extract<CheckRecord, { provider: P }> | AnswersCheck | undefined {
  // Keys carry the provider, so the record's provider is P.
  return state.checks.get(checkKey(provider, checkId)) as Extract<CheckRecord, { provider: P }> | AnswersCheck | undefined;
}
