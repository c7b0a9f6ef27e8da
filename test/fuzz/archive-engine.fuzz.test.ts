/**
 * Bad provider data all the way into the archive: near-misses of the documented liveness and KYC answers, with frames
 * and image links drawn from good, broken and hostile ones, go through the client's own reading (interpret*Answer)
 * into archiveCheck against s3rver and dynalite. Whatever comes, the check ends with exactly one record — the
 * archive's, or, when the step throws a typed error, the one the workflow's Catch writes (recordFailureStep) — a
 * terminal answer never ends in `error`, its bytes are kept, and the archive keeps its invariants: no orphan, no
 * duplicate, every sha256 matching its manifest.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCheck } from '../../lambdas/archive/engine';
import { recordFailureStep } from '../../lambdas/archive/workflow-steps';
import type { ProviderName } from '../../lambdas/checks/check-status';
import type { RecordStatus } from '../../lambdas/records/record';
import { startEmulators, type Emulators } from '../../local/emulators';
import { checkInvariants, type ExpectedCheck } from '../../local/invariants';
import { FORBIDDEN_IMAGE_URLS } from '../../local/reliability/fault-kinds';
import type { ScriptedAnswer } from '../support/answers';
import { harness, makeCheck, readObject, stubClient, type Harness } from '../support/archive-harness';
import { startImageServer, type ImageServer } from '../support/image-server';
import { dataUri, makeJpeg, makePng } from '../support/images';
import { nearMiss, typedOrValueAsync } from './support';

const DOCS = new URL('../fixtures/provider-docs/', import.meta.url);
const doc = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, DOCS), 'utf8'));

let emulators: Emulators;
let images: ImageServer;
let h: Harness;
const expected: ExpectedCheck[] = [];

beforeAll(async () => {
  [emulators, images] = await Promise.all([startEmulators(), startImageServer()]);
  h = harness(emulators);
  images.route('/ok.jpg', { kind: 'image', body: makeJpeg(24, 24, 3), contentType: 'image/jpeg' });
  images.route('/ok.png', { kind: 'image', body: makePng(12, 12, 4), contentType: 'image/png' });
  images.route('/html', { kind: 'image', body: Buffer.from('<html>no</html>'), contentType: 'text/html' });
  images.route('/gone', { kind: 'status', status: 404 });
  images.route('/redirect', { kind: 'redirect', location: '/ok.jpg' });
  images.route('/to-metadata', { kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' });
  images.route('/cut', { kind: 'cut', body: makeJpeg(64, 64, 5), contentType: 'image/jpeg', sendBytes: 200 });
});
afterAll(async () => {
  await images?.close();
  await emulators?.close();
});


const goodJpeg = dataUri('image/jpeg', makeJpeg(16, 16, 8));
const frame = fc.oneof(
  fc.constant(goodJpeg),
  fc.constant(dataUri('image/png', makePng(8, 8, 9))),
  fc.nat().map((n) => goodJpeg.slice(0, 30 + (n % (goodJpeg.length - 30)))),
  fc.constant(dataUri('image/jpeg', makePng(8, 8, 10))),
  fc.constant('data:image/svg+xml;base64,PHN2Zz48L3N2Zz4='),
  fc.string(),
  fc.jsonValue({ maxDepth: 1 }),
  fc.record({ image: fc.constantFrom(goodJpeg, 'x', null), bounding_box: fc.jsonValue({ maxDepth: 1 }) }),
);

const link = () =>
  fc.oneof(
    fc.constantFrom('/ok.jpg', '/ok.png', '/html', '/gone', '/redirect', '/to-metadata', '/cut').map((path) => images.url(path)),
    fc.constantFrom(...FORBIDDEN_IMAGE_URLS),
    fc.webUrl(),
    fc.jsonValue({ maxDepth: 1 }),
  );

/** Tries of a task the workflow retries: the first and five retries (TRANSIENT_ERRORS, polling-workflow.ts). */
const TASK_ATTEMPTS = 6;

/**
 * Runs one check the way the workflow would: archive, again while the error is a retryable one, then on a typed
 * error the Catch's failure record.
 */
async function archiveOrRecordFailure(provider: ProviderName, answer: ScriptedAnswer): Promise<RecordStatus | undefined> {
  const check = makeCheck(provider);
  const client = stubClient(provider, answer);
  const deps = h.deps(client);
  let outcome: Awaited<ReturnType<typeof typedOrValueAsync<Awaited<ReturnType<typeof archiveCheck>>>>>;
  let attempts = 0;
  do {
    attempts += 1;
    outcome = await typedOrValueAsync(() => archiveCheck(deps, check));
  } while (outcome.error && (outcome.error as { retryable?: boolean }).retryable && attempts < TASK_ATTEMPTS);
  const { value, error } = outcome;
  if (error) await recordFailureStep(deps, { check, error: { Error: error.name, Cause: error.message } });
  const record = await h.records.get(provider, check.checkRef);
  expect(record, 'every check ends with a record').toBeDefined();
  if (value) expect(record!.status).toBe(value.status);
  else expect(record!.status).toBe('error');
  const interpreted = client.interpret(await client.fetchAnswer(check), check);
  if (interpreted.kind !== 'pending') {
    // A terminal answer is never lost: it is archived, never an error, and kept byte for byte.
    expect(record!.status).not.toBe('error');
    const sent = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer.body));
    expect((await readObject(h.s3, emulators.bucketName, record!.answerKey!)).equals(sent)).toBe(true);
  }
  expected.push({ provider, checkRef: check.checkRef, status: record!.status });
  return record!.status;
}

describe('archiveCheck on bad provider data', () => {
  it('liveness: near-miss answers with good, broken and hostile frames end in one record', async () => {
    const base = doc('liveness-complete.json');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearMiss(base), fc.constant(base)), frame, fc.array(frame, { maxLength: 4 }), async (body, probe, frames) => {
        const shaped = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
        const result = shaped.result !== null && typeof shaped.result === 'object' ? { ...(shaped.result as object), image: probe, audit_images: frames } : shaped.result;
        const status = await archiveOrRecordFailure('liveness', { httpStatus: 200, body: { ...shaped, result } });
        seen.add(status ?? 'none');
      }),
      { numRuns: 40 },
    );
    expect(seen.size).toBeGreaterThan(1);
  });

  it('KYC: near-miss sessions with good, broken and hostile image links end in one record', async () => {
    const base = doc('kyc-session-success.json');
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearMiss(base), fc.constant(base)), fc.array(fc.array(link(), { maxLength: 3 }), { minLength: 1, maxLength: 3 }), async (body, links) => {
        const session = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
        if (Array.isArray(session.results)) {
          session.results = session.results.map((task: unknown, i) => (task !== null && typeof task === 'object' ? { ...task, imagesFull: links[i % links.length] } : task));
        }
        const status = await archiveOrRecordFailure('kyc', { httpStatus: 200, body: session });
        seen.add(status ?? 'none');
      }),
      { numRuns: 40 },
    );
    expect(seen.size).toBeGreaterThan(1);
  });

  it('leaves an archive that keeps its promises: one record per check, no orphan or duplicate, every sha256 matching', async () => {
    expect(expected.length).toBe(80);
    const { Items } = await h.dynamo.send(new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: emulators.tableName }));
    const report = await checkInvariants({ s3: h.s3, bucket: emulators.bucketName, records: (Items ?? []) as never, expected });
    expect(report.violations, report.violations.join('\n')).toEqual([]);
    expect(report.objects).toBeGreaterThan(0);
  });
});
