/**
 * Provider drift: variants of every example body in the three provider documents (test/fixtures/provider-docs), as
 * a real provider might send them — a field set to null or left out, numbers and booleans as strings, fields nobody
 * announced at every level, timestamps without an offset, status and task-type words the documents do not list, and
 * every image in each form the archive accepts (data URI of any image type, raw base64, an object around either, a
 * link) or must keep in quarantine (an SVG, bytes that are not what they claim, broken base64, a page posing as an
 * image). Each variant becomes an answers script for the fake providers: sometimes a pending answer first (an
 * undocumented status word among them), then the terminal one.
 *
 * The variants come from the documents, not from the fakes: what each must end as is what the document says the
 * example means, and the images each must leave in the archive are those the generator itself placed in it.
 * Drawn with fast-check from a fixed seed (FC_SEED explores others).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ProviderName } from '../../lambdas/checks/check-status';
import type { RecordStatus } from '../../lambdas/records/record';
import { PROJECT_ROOT } from '../paths';
import { anyImage, createUuidV1Generator, type AnswersScript } from '../fake-providers';
import type { PlannedCheck, Scenario } from './plan';

export const DOC_EXAMPLES_DIR = join(PROJECT_ROOT, 'test', 'fixtures', 'provider-docs');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** A terminal example of a document, what it means, and (when there is one) the pending answer before it. */
interface Example {
  name: string;
  provider: ProviderName;
  status: number;
  body: Json;
  expect: readonly RecordStatus[];
  /** The example carries images (liveness result, KYC tasks): the generator places them in every form. */
  images?: 'liveness' | 'kyc';
}

const ARCHIVED = ['archived', 'archived-partial'] as const;

function load(name: string): Json {
  return JSON.parse(readFileSync(join(DOC_EXAMPLES_DIR, name), 'utf8')) as Json;
}

/** The documents' terminal examples; KYC's session example also in the other statuses the document names. */
export function terminalExamples(): Example[] {
  const session = load('kyc-session-success.json') as Record<string, Json>;
  const kyc = (status: string): Json => ({ ...session, status, sessionId: '{{checkId}}', clientKey: '{{clientKey}}' });
  const verification = (name: string): Json => ({ ...(load(name) as Record<string, Json>), id: '{{checkId}}' });
  return [
    { name: 'liveness-complete', provider: 'liveness', status: 200, body: load('liveness-complete.json'), expect: ARCHIVED, images: 'liveness' },
    { name: 'liveness-complete-without-images', provider: 'liveness', status: 200, body: load('liveness-complete-without-images.json'), expect: ARCHIVED },
    { name: 'liveness-failed', provider: 'liveness', status: 200, body: load('liveness-failed.json'), expect: ['failed'] },
    { name: 'kyc-session-success', provider: 'kyc', status: 200, body: kyc('success'), expect: ARCHIVED, images: 'kyc' },
    // "failed: one or more tasks failed", "expired", "exception": sessions that reached the person keep their images.
    { name: 'kyc-session-failed', provider: 'kyc', status: 200, body: kyc('failed'), expect: ARCHIVED, images: 'kyc' },
    { name: 'kyc-session-expired', provider: 'kyc', status: 200, body: kyc('expired'), expect: ARCHIVED, images: 'kyc' },
    { name: 'kyc-session-exception', provider: 'kyc', status: 200, body: kyc('exception'), expect: ARCHIVED, images: 'kyc' },
    { name: 'kyc-session-not-found', provider: 'kyc', status: 200, body: load('kyc-session-not-found.json'), expect: ['not-found'] },
    { name: 'kyc-invalid-schema', provider: 'kyc', status: 400, body: load('kyc-invalid-schema.json'), expect: ['invalid'] },
    { name: 'verification-completed', provider: 'verification', status: 200, body: verification('verification-completed.json'), expect: ['archived'] },
    { name: 'verification-not-found', provider: 'verification', status: 404, body: load('verification-not-found.json'), expect: ['not-found'] },
    { name: 'verification-forbidden', provider: 'verification', status: 403, body: load('verification-forbidden.json'), expect: ['forbidden'] },
  ];
}

/** Answers the documents give before the end: the checks polls through these (then archives the terminal one). */
function pendingAnswers(provider: ProviderName, word: string | undefined): { status: number; body?: Json } {
  switch (provider) {
    case 'liveness':
      // 202 whatever its body; an undocumented word on a 200 without result keeps polling too.
      return word === undefined ? { status: 202, body: load('liveness-pending.json') } : { status: 200, body: { status: word } };
    case 'kyc':
      return { status: 200, body: { status: word ?? 'processing', sessionId: '{{checkId}}', clientKey: '{{clientKey}}', results: [], secondsToLive: 600 } };
    case 'verification':
      return word === undefined
        ? { status: 200, body: { ...(load('verification-escalated.json') as Record<string, Json>), id: '{{checkId}}' } }
        : { status: 200, body: { ...(load('verification-processing.json') as Record<string, Json>), id: '{{checkId}}', status: word } };
  }
}

/** One image the generator places, and the sha256 of what the archive must hold for it. */
interface Placed {
  value: Json;
  sha256: string;
  quarantined: boolean;
}

/** The text that carries the image (the value, or the data or URL inside an object around it): unique per image. */
function carrierOf(placed: Placed): string {
  if (typeof placed.value === 'string') return placed.value;
  const object = placed.value as Record<string, Json>;
  return String(object.image ?? object.data ?? object.url);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const VALID_EXTENSIONS = ['jpg', 'png', 'webp', 'gif', 'bmp'] as const;
const MEDIA: Record<(typeof VALID_EXTENSIONS)[number], string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', bmp: 'image/bmp' };

/** A liveness frame in one of the forms the archive accepts or keeps in quarantine. */
function frameIn(form: number, n: number, box: Json | undefined): Placed {
  const ext = VALID_EXTENSIONS[n % VALID_EXTENSIONS.length]!;
  const { bytes } = anyImage(`drift/frame-${n}.${ext}`);
  const uri = `data:${MEDIA[ext]};base64,${bytes.toString('base64')}`;
  const wrap = (value: string, field = 'image'): Json => (box === undefined ? { [field]: value } : { [field]: value, bounding_box: box });
  switch (form % 9) {
    case 0:
      return { value: uri, sha256: sha256(bytes), quarantined: false };
    case 1:
      return { value: bytes.toString('base64'), sha256: sha256(bytes), quarantined: false };
    case 2:
      return { value: wrap(uri), sha256: sha256(bytes), quarantined: false };
    case 3:
      return { value: wrap(uri, 'data'), sha256: sha256(bytes), quarantined: false };
    case 4: {
      const path = `drift/frame-link-${n}.${ext}`;
      return { value: `{{baseUrl}}/images/any/${path}`, sha256: sha256(anyImage(path).bytes), quarantined: false };
    }
    case 5: {
      const svg = anyImage(`drift/frame-${n}.svg`).bytes;
      return { value: `data:image/svg+xml;base64,${svg.toString('base64')}`, sha256: sha256(svg), quarantined: true };
    }
    case 6: {
      // Declared JPEG, bytes of another format (or none): magic bytes decide.
      const other = anyImage(`drift/frame-${n}.${ext === 'jpg' ? 'png' : 'bin'}`).bytes;
      return { value: `data:image/jpeg;base64,${other.toString('base64')}`, sha256: sha256(other), quarantined: true };
    }
    case 7: {
      const text = `not*base64*${n}!!`;
      return { value: `data:image/jpeg;base64,${text}`, sha256: sha256(Buffer.from(text)), quarantined: true };
    }
    default:
      // MIME-wrapped base64 with a line break: still the image.
      return { value: `data:${MEDIA[ext]};base64,${bytes.toString('base64').replace(/(.{60})/, '$1\r\n')}`, sha256: sha256(bytes), quarantined: false };
  }
}

/** A KYC image link in one of its forms; the path's extension decides what the fake serves. */
function linkIn(form: number, n: number): Placed {
  const kinds = ['jpg', 'png', 'webp', 'gif', 'bmp', 'bin', 'html', 'jpg?ct=image/png'] as const;
  const kind = kinds[form % kinds.length]!;
  const [ext, query] = kind.split('?') as [string, string | undefined];
  const path = `drift/kyc-${n}.${ext}`;
  const url = `{{baseUrl}}/images/any/${path}${query ? `?${query}` : ''}`;
  const quarantined = ext === 'bin' || ext === 'html' || query !== undefined;
  return { value: form % 3 === 1 ? { url } : url, sha256: sha256(anyImage(path).bytes), quarantined };
}

interface Placement {
  body: Json;
  placed: Placed[];
}

/** Puts images in the example where its document says they go, each in a form the draw picks. */
function placeImages(example: Example, forms: number[]): Placement {
  const body = structuredClone(example.body) as Record<string, Json>;
  const placed: Placed[] = [];
  let n = 0;
  const next = () => forms[n % forms.length]! + Math.floor(n / forms.length);
  if (example.images === 'liveness') {
    const result = body.result as Record<string, Json>;
    const probe = frameIn(next(), n++, undefined);
    result.image = probe.value;
    placed.push(probe);
    result.audit_images = forms.slice(0, 3).map(() => {
      const frame = frameIn(next(), n, n % 2 === 0 ? { x: n, y: 2 * n, width: 40, height: 50 } : undefined);
      n += 1;
      placed.push(frame);
      return frame.value;
    });
  } else if (example.images === 'kyc') {
    const link = () => {
      const placedLink = linkIn(next(), n++);
      placed.push(placedLink);
      return placedLink.value;
    };
    for (const task of body.results as Array<Record<string, Json>>) {
      if (Array.isArray(task.imagesFull)) task.imagesFull = task.imagesFull.map(link);
      for (const attempt of (task.history ?? []) as Array<Record<string, Json>>) {
        if (Array.isArray(attempt.imagesFull)) attempt.imagesFull = attempt.imagesFull.map(link);
      }
      for (const group of (task.checks ?? []) as Array<Record<string, Json>>) {
        for (const item of (group.items ?? []) as Array<Record<string, Json>>) {
          if (Array.isArray(item.images)) item.images = item.images.map(link);
        }
      }
    }
  }
  return { body, placed };
}

/** A change to the answer; `at` picks the place among the eligible ones (ignored by the `all-` kinds). */
interface Mutation {
  kind: 'null' | 'remove' | 'extra' | 'as-string' | 'no-offset' | 'unknown-type' | 'all-as-string' | 'all-no-offset';
  at: number;
}

/** Fields that say what the answer is: left as the document has them, so the example keeps its meaning. */
const MEANING = new Set(['status', 'message']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function paths(value: Json, at: Path = [], out: Array<{ path: Path; value: Json }> = []): Array<{ path: Path; value: Json }> {
  out.push({ path: at, value });
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths(item, [...at, key], out);
  return out;
}

function parentOf(root: Json, path: Path): Record<string | number, Json> {
  return path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key]!, root) as Record<string | number, Json>;
}

function apply(root: Json, mutation: Mutation, n: number): string {
  const all = paths(root).filter(({ path }) => path.length > 0 && !(path.length === 1 && MEANING.has(String(path[0]))));
  const pick = <T>(items: T[], at: number) => items[at % items.length];
  switch (mutation.kind) {
    case 'null':
    case 'remove': {
      const target = pick(all, mutation.at);
      if (!target) return 'nothing to change';
      const parent = parentOf(root, target.path);
      const key = target.path.at(-1)!;
      if (mutation.kind === 'null') parent[key] = null;
      else if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return `${mutation.kind} ${target.path.join('.')}`;
    }
    case 'as-string':
    case 'all-as-string': {
      const scalars = all.filter(({ value }) => typeof value === 'number' || typeof value === 'boolean');
      const targets = mutation.kind === 'all-as-string' ? scalars : [pick(scalars, mutation.at)].filter(Boolean);
      for (const { path, value } of targets as typeof scalars) parentOf(root, path)[path.at(-1)!] = String(value);
      return mutation.kind === 'all-as-string' ? 'numbers and booleans as strings' : `${targets[0]?.path.join('.')} as a string`;
    }
    case 'no-offset':
    case 'all-no-offset': {
      const times = all.filter(({ value }) => typeof value === 'string' && ISO.test(value));
      const targets = mutation.kind === 'all-no-offset' ? times : [pick(times, mutation.at)].filter(Boolean);
      for (const { path, value } of targets as typeof times) parentOf(root, path)[path.at(-1)!] = (value as string).replace(/(Z|[+-]\d{2}:\d{2})$/, '');
      return 'timestamps without an offset';
    }
    case 'extra': {
      const objects = [{ path: [] as Path, value: root }, ...all].filter(({ value }) => value !== null && typeof value === 'object' && !Array.isArray(value));
      const target = pick(objects, mutation.at)!;
      (target.value as Record<string, Json>)[`x_unannounced_${n}`] = { since: 'v2', values: [1, '2', null, true] };
      return `an extra field at ${target.path.join('.') || '(root)'}`;
    }
    case 'unknown-type': {
      const types = all.filter(({ path, value }) => path.at(-1) === 'type' && typeof value === 'string');
      const target = pick(types, mutation.at);
      if (!target) return 'no task type';
      parentOf(root, target.path)[target.path.at(-1)!] = `liveness_video_${n}`;
      return `task type ${target.path.join('.')} unknown`;
    }
  }
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('null', 'remove', 'extra', 'as-string', 'no-offset', 'unknown-type', 'all-as-string', 'all-no-offset'),
  at: fc.nat(),
});

/** What one draw decides for one example. */
interface Draw {
  mutations: Mutation[];
  forms: number[];
  /** Before the terminal answer: nothing, the document's pending answer, or one with a word the document lacks. */
  first: 'none' | 'documented' | 'unknown';
}

const drawArb: fc.Arbitrary<Draw> = fc.record({
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  forms: fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 8 }),
  first: fc.constantFrom('none', 'documented', 'unknown'),
});

export interface DriftCheck extends PlannedCheck {
  script: AnswersScript & { checkId: string };
  /** sha256 of every image the terminal answer references: the archive must hold each. */
  images: string[];
  /** How many of them must be in quarantine. */
  quarantined: number;
}

/**
 * `perExample` variants of each terminal example, and one per example with every image form and no other change:
 * checks for the fake providers, each with the record status its document gives and the images it must leave.
 */
export function driftChecks(options: { perExample: number; seed?: number }): DriftCheck[] {
  const seed = options.seed ?? Number(process.env.FC_SEED ?? 20261204);
  const uuid = createUuidV1Generator();
  const checks: DriftCheck[] = [];
  let n = 0;
  for (const example of terminalExamples()) {
    const draws = fc.sample(drawArb, { seed: seed + checks.length, numRuns: options.perExample });
    const everyForm: Draw = { mutations: [], forms: Array.from({ length: 9 }, (_, i) => i), first: 'none' };
    for (const draw of [everyForm, ...draws]) {
      n += 1;
      const { body, placed } = placeImages(example, draw.forms);
      const changes = draw.mutations.map((mutation, i) => apply(body, mutation, n * 10 + i));
      // What is still referenced after the changes (a removed or nulled image is no longer the answer's).
      const strings = new Set(paths(body).flatMap(({ value }) => (typeof value === 'string' ? [value] : [])));
      const referenced = placed.filter((p) => strings.has(carrierOf(p)));
      const first = draw.first === 'none' ? [] : [pendingAnswers(example.provider, draw.first === 'unknown' ? `queued_v${n}` : undefined)];
      const checkId = checkIdFor(example.provider, n, uuid);
      const label = `${example.name}${changes.length ? `: ${changes.join(', ')}` : ': every image form'}${first.length ? ` (after a ${draw.first} pending answer)` : ''}`;
      checks.push({
        label: label.slice(0, 200),
        kinds: ['provider drift'],
        script: {
          provider: example.provider,
          checkId,
          ...(example.provider === 'kyc' ? { clientKey: `drift-client-${n}` } : {}),
          answers: [...first, { status: example.status, body }],
        } as DriftCheck['script'],
        expect: example.expect.length === 1 ? example.expect[0]! : [...example.expect],
        faults: changes.length + referenced.length + first.length,
        images: referenced.map((p) => p.sha256),
        quarantined: referenced.filter((p) => p.quarantined).length,
      });
    }
  }
  return checks;
}

function checkIdFor(provider: ProviderName, n: number, uuid: (ms: number) => string): string {
  switch (provider) {
    case 'liveness':
      return `drift_${n}_${createHash('sha256').update(`drift-token-${n}`).digest('base64url').slice(0, 24)}`;
    case 'kyc':
      return uuid(Date.UTC(2026, 2, 19, 10, 31, 6) + n);
    case 'verification':
      return `ver_drift_${String(n).padStart(4, '0')}`;
  }
}

export function driftScenario(perExample: number, seed?: number): Scenario {
  return { name: 'provider drift', checks: driftChecks({ perExample, ...(seed !== undefined ? { seed } : {}) }) };
}
