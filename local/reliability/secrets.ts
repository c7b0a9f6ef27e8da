/**
 * What must never appear in a log: liveness tokens and the other check ids, clientKeys, the provider credentials, and
 * what the providers' answers hold — OCR values, emails, wallets, image bytes. Collected from the same fake providers
 * the run used (their real answers), then searched for in every captured line.
 */
import type { CreatedCheck, FakeProviders, ProviderCredentials } from '../fake-providers';

export type SecretKind = 'check id' | 'liveness token' | 'client key' | 'credential' | 'ocr value' | 'email' | 'wallet' | 'personal data' | 'image bytes';

export interface Secret {
  kind: SecretKind;
  value: string;
}

export interface Leak {
  kind: SecretKind;
  /** Where: `log line N` or the name of a scanned text. Never the secret itself. */
  where: string;
}

/** Shorter values (a sex marker, a two-letter code) would match by chance. */
const MIN_SECRET_CHARS = 5;
/** Characters of base64 taken from an image at each sampled offset. */
const IMAGE_SLICE_CHARS = 32;

export class SecretRegistry {
  private readonly byValue = new Map<string, Secret>();

  add(kind: SecretKind, value: string | undefined): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_CHARS || this.byValue.has(value)) return;
    this.byValue.set(value, { kind, value });
  }

  addCredentials(credentials: ProviderCredentials): void {
    for (const value of Object.values(credentials)) this.add('credential', value);
  }

  /** Personal data written into a script (verification content): the text and the emails and wallets in it. */
  addText(text: string | undefined): void {
    if (!text) return;
    this.add('personal data', text);
    for (const email of text.match(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g) ?? []) this.add('email', email);
    for (const wallet of text.match(/0x[0-9a-fA-F]{40}/g) ?? []) this.add('wallet', wallet);
  }

  /** Base64 slices of an image at its start, a third and two thirds in. */
  addImage(bytes: Buffer | string): void {
    const base64 = typeof bytes === 'string' ? bytes : bytes.toString('base64');
    if (base64.length < IMAGE_SLICE_CHARS * 3) return;
    for (const at of [0, Math.floor(base64.length / 3), Math.floor((2 * base64.length) / 3)]) {
      // Whole 4-character groups, so the slice is what any base64 encoding of these bytes would contain.
      const start = at - (at % 4);
      this.add('image bytes', base64.slice(start, start + IMAGE_SLICE_CHARS));
    }
  }

  size(): number {
    return this.byValue.size;
  }

  kinds(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { kind } of this.byValue.values()) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }

  /** Each secret found in each text (one leak per secret and text). */
  scan(texts: ReadonlyArray<{ where: string; text: string }>): Leak[] {
    const leaks: Leak[] = [];
    for (const { where, text } of texts) {
      for (const secret of this.byValue.values()) if (indexOfSecret(text, secret) >= 0) leaks.push({ kind: secret.kind, where });
    }
    return leaks;
  }

  /** Scans log lines as one text (one search per secret, not per line), naming each leak by its line number. */
  scanLines(lines: readonly string[]): Leak[] {
    const text = lines.join('\n');
    const leaks: Leak[] = [];
    for (const secret of this.byValue.values()) {
      const at = indexOfSecret(text, secret);
      if (at >= 0) leaks.push({ kind: secret.kind, where: `log line ${lineNumberAt(text, at)}` });
    }
    return leaks;
  }
}

function lineNumberAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < index; at = text.indexOf('\n', at + 1)) line += 1;
  return line;
}

/**
 * Where the secret occurs, or -1. OCR values must stand alone (a document number inside a longer number, a surname
 * inside a word, is not it); tokens and image bytes count anywhere.
 */
function indexOfSecret(text: string, { kind, value }: Secret): number {
  let from = 0;
  const bounded = kind === 'ocr value' && /^[A-Za-z0-9]+$/.test(value);
  for (;;) {
    const at = text.indexOf(value, from);
    if (at < 0 || !bounded) return at;
    if (!isAlnum(text[at - 1]) && !isAlnum(text[at + value.length])) return at;
    from = at + 1;
  }
}

function isAlnum(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9]/.test(char);
}

/**
 * Reads the answers of some of the created checks from the fake providers and registers the personal data and image
 * bytes in them. Answers that are not 200 (faults still scripted, no result) are skipped.
 */
export async function collectAnswerSecrets(fake: FakeProviders, checks: readonly CreatedCheck[], registry: SecretRegistry, perProvider = 6): Promise<void> {
  const sample = (provider: CreatedCheck['provider']) => checks.filter((check) => check.provider === provider).slice(0, perProvider);
  for (const check of sample('liveness')) {
    const response = await fetch(`${fake.baseUrl}/liveness_check?token=${encodeURIComponent(check.checkId)}`, {
      headers: { 'x-api-key': fake.credentials.livenessApiKey },
    });
    if (response.status !== 200) continue;
    const body = (await response.json()) as { result?: { image?: unknown; audit_images?: unknown[] } };
    const frames = [body.result?.image, ...(body.result?.audit_images ?? [])].map((frame) =>
      typeof frame === 'object' && frame !== null ? (frame as { image?: unknown }).image : frame,
    );
    for (const frame of frames) {
      if (typeof frame === 'string' && frame.includes(',')) registry.addImage(frame.slice(frame.indexOf(',') + 1));
    }
  }
  for (const check of sample('kyc')) {
    const response = await fetch(`${fake.baseUrl}/kyc/session/status`, {
      method: 'POST',
      headers: { token: fake.credentials.kycJwt, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: check.checkId }),
    });
    if (response.status !== 200) continue;
    const session = (await response.json()) as KycSessionLike;
    registry.add('email', session.email);
    registry.add('wallet', session.wallet);
    registry.add('client key', session.clientKey);
    for (const task of session.results ?? []) {
      for (const field of task.ocr?.fields ?? []) registry.add('ocr value', typeof field.value === 'string' ? field.value : undefined);
    }
    const url = session.results?.find((task) => Array.isArray(task.imagesFull) && task.imagesFull.length > 0)?.imagesFull?.[0];
    if (typeof url === 'string' && url.startsWith(fake.baseUrl)) {
      const image = await fetch(url, { redirect: 'manual' });
      if (image.status === 200) registry.addImage(Buffer.from(await image.arrayBuffer()));
    }
  }
}

interface KycSessionLike {
  email?: string;
  wallet?: string;
  clientKey?: string;
  results?: Array<{ ocr?: { fields?: Array<{ value?: unknown }> }; imagesFull?: unknown[] }>;
}
