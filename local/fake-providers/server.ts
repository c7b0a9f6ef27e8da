import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerCheckFor } from './answer';
import type { AnswersScript } from './answers-script';
import { ANY_IMAGES_PREFIX, handleAnyImage } from './any-images-route';
import { createCheck, type CreatedCheck } from './checks';
import { createSimClock } from './clock';
import { CONTROL_PREFIX, addChecks, handleControl } from './control';
import { LOCAL_PROVIDER_CREDENTIALS, type ProviderCredentials } from './credentials';
import { InvalidScriptError } from './errors';
import { RequestBodyTooLargeError, jsonReply, send, type Reply } from './http';
import { createUuidV1Generator } from './ids';
import { IMAGES_PREFIX, handleImage } from './images-route';
import { KYC_STATUS_PATH, handleKycStatus } from './kyc';
import { LIVENESS_PATH, handleLiveness } from './liveness';
import { parseCheckScript, parseScenario, type AnyCheckScript, type CheckScript, type ParsedAnyCheckScript } from './script';
import type { FakeState, RequestArea, ServerStats, StoredCheck } from './state';
import { VERIFICATION_PATH, handleVerification } from './verification';
import { createWebhookSender, type SentWebhook, type WebhookDelivery, type WebhookTarget } from './webhooks';
import type { ProviderName } from '../../lambdas/checks/check-status';

/** The documented "around 30 minutes" during which liveness frames and KYC images stay available. */
export const DEFAULT_IMAGE_WINDOW_MS = 30 * 60_000;

export interface FakeProvidersOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Simulated ms per real ms (default 1): applies to scripted times and the image window. */
  timeFactor?: number;
  /** Source clock in epoch ms (default Date.now); inject a virtual clock for benchmarks. */
  now?: () => number;
  credentials?: Partial<ProviderCredentials>;
  /** Simulated ms; default 30 minutes. */
  imageWindowMs?: number;
  /** Checks to create at start (e.g. from a scenario file): lifecycle or answers scripts. */
  checks?: readonly AnyCheckScript[];
  /** Where unexpected handler errors are reported (name and message only). Default: nowhere. */
  log?: (line: string) => void;
  /** A webhook receiver: scripts with `webhooks` notify it, and `sendWebhooks` does on demand. Default: none. */
  webhooks?: WebhookTarget;
}

export interface CheckStats {
  provider: CreatedCheck['provider'];
  checkId: string;
  label?: string;
  /** Created from a lifecycle script or an answers script. */
  kind: 'lifecycle' | 'answers';
  /** Status requests that reached the check, fault answers included. */
  requests: number;
  /** Real answers (the polls of the lifecycle); for an answers script, the same as `requests`. */
  answers: number;
  /** An answers script is terminal once its last answer has been served. */
  phase: 'pending' | 'terminal';
  /** Simulated ISO time of the outcome. */
  terminalAt?: string;
  /** Verification: when an escalation resolved. */
  resolvedAt?: string;
}

export interface FakeProviderStats extends ServerStats {
  checks: CheckStats[];
}

export interface FakeProviders {
  /** e.g. http://127.0.0.1:4010 — all three providers and the image URLs live under it. */
  readonly baseUrl: string;
  readonly credentials: Readonly<ProviderCredentials>;
  /**
   * Validates a script (InvalidScriptError) and creates the check (DuplicateCheckError for a taken id). One overload
   * per kind, so a lifecycle script with a union-typed `provider` still type-checks.
   */
  addCheck(script: CheckScript): CreatedCheck;
  addCheck(script: AnswersScript): CreatedCheck;
  stats(): FakeProviderStats;
  /** Sends webhooks about a check now (needs `webhooks`); what the receiver answered to each. */
  sendWebhooks(provider: ProviderName, checkId: string, deliveries: readonly WebhookDelivery[]): Promise<SentWebhook[]>;
  /** Every webhook sent so far. */
  webhooksSent(): SentWebhook[];
  close(): Promise<void>;
}

/** Starts the fake liveness, KYC and verification providers on one HTTP server. */
export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const credentials: ProviderCredentials = { ...LOCAL_PROVIDER_CREDENTIALS, ...options.credentials };
  const clock = createSimClock({ timeFactor: options.timeFactor, now: options.now });
  const initial = (options.checks ?? []).map((script) => parseCheckScript(script));
  const log = options.log ?? (() => {});

  const server = createServer();
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const state: FakeState = {
    clock,
    credentials,
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    imageWindowMs: options.imageWindowMs ?? DEFAULT_IMAGE_WINDOW_MS,
    checks: new Map(),
    sessionsByClientKey: new Map(),
    images: new Map(),
    stats: { requests: { liveness: 0, kyc: 0, verification: 0, images: 0, control: 0, other: 0 }, statusCodes: {}, imageBytesSent: 0 },
    newSessionId: createUuidV1Generator(),
    ...(options.webhooks ? { webhooks: createWebhookSender(options.webhooks, clock) } : {}),
  };
  const stats = () => snapshotStats(state);
  try {
    addChecks(state, initial);
  } catch (error) {
    server.close();
    throw error;
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handleRequest(state, req, res, stats, log);
  });

  return {
    baseUrl: state.baseUrl,
    credentials,
    addCheck: (script: AnyCheckScript) => createCheck(state, parseCheckScript(script)),
    stats,
    sendWebhooks: async (provider, checkId, deliveries) => {
      if (!state.webhooks) throw new Error('no webhook receiver configured (startFakeProviders({ webhooks }))');
      return state.webhooks.send(provider, checkId, deliveries);
    },
    webhooksSent: () => state.webhooks?.sent() ?? [],
    close: async () => {
      await state.webhooks?.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

async function handleRequest(
  state: FakeState,
  req: IncomingMessage,
  res: ServerResponse,
  stats: () => FakeProviderStats,
  log: (line: string) => void,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const path = url.pathname;
  const answer = answerCheckFor(state, res);
  let area: RequestArea = 'other';
  let reply: Reply;
  try {
    const verificationId = VERIFICATION_PATH.exec(path)?.[1];
    if (path === LIVENESS_PATH) {
      area = 'liveness';
      reply = await handleLiveness(state, req, url, answer);
    } else if (KYC_STATUS_PATH.test(path)) {
      area = 'kyc';
      reply = await handleKycStatus(state, req, answer);
    } else if (verificationId !== undefined) {
      area = 'verification';
      reply = await handleVerification(state, req, verificationId, answer);
    } else if (path.startsWith(ANY_IMAGES_PREFIX)) {
      area = 'images';
      reply = handleAnyImage(req, url);
    } else if (path.startsWith(IMAGES_PREFIX)) {
      area = 'images';
      reply = await handleImage(state, req, res, path);
    } else if (path.startsWith(CONTROL_PREFIX)) {
      area = 'control';
      reply = await handleControl(state, req, path, stats);
    } else {
      reply = jsonReply(404, { error: 'not found' });
    }
  } catch (error) {
    if (error instanceof RequestBodyTooLargeError) {
      reply = jsonReply(413, { error: 'request body too large' });
    } else {
      log(`fake providers: ${area} handler failed: ${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`);
      reply = jsonReply(500, { error: 'fake provider internal error' });
    }
  }
  state.stats.requests[area] += 1;
  state.stats.statusCodes[reply.status] = (state.stats.statusCodes[reply.status] ?? 0) + 1;
  if (res.destroyed) return;
  try {
    const written = await send(res, reply);
    if (area === 'images' && reply.status === 200) state.stats.imageBytesSent += written;
  } catch (error) {
    log(`fake providers: sending a ${area} response failed: ${error instanceof Error ? error.name : 'unknown error'}`);
    res.destroy();
  }
}

function snapshotStats(state: FakeState): FakeProviderStats {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    requests: { ...state.stats.requests },
    statusCodes: { ...state.stats.statusCodes },
    imageBytesSent: state.stats.imageBytesSent,
    checks: [...state.checks.values()].map((check) => checkStats(check, iso)),
  };
}

function checkStats(check: StoredCheck, iso: (ms: number | undefined) => string | undefined): CheckStats {
  const common = { provider: check.provider, checkId: check.checkId, ...(check.label !== undefined ? { label: check.label } : {}) };
  if (check.kind === 'answers') {
    const phase = check.requests >= check.served.length ? 'terminal' : 'pending';
    return { ...common, kind: 'answers', requests: check.requests, answers: check.requests, phase };
  }
  return {
    ...common,
    kind: 'lifecycle',
    requests: check.requests,
    answers: check.answers,
    phase: check.terminalAt === undefined ? 'pending' : 'terminal',
    ...(check.terminalAt !== undefined ? { terminalAt: iso(check.terminalAt) } : {}),
    ...(check.provider === 'verification' && check.resolvedAt !== undefined ? { resolvedAt: iso(check.resolvedAt) } : {}),
  };
}

/** Reads and validates a scenario file: {"checks": [script, …]} or a bare array of scripts (either kind). */
export async function loadScenarioFile(path: string): Promise<ParsedAnyCheckScript[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidScriptError(`cannot read scenario file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidScriptError(`scenario file ${path} is not valid JSON`);
  }
  return parseScenario(json);
}
