/**
 * Every route of the console over HTTP, against an archive the real engine wrote: what each page shows, that the
 * images it links are the archived bytes, that exports and verification report what the archive holds (and fail
 * when it was altered), that archive text cannot inject markup, and the audit event each request leaves.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../../../lambdas/archive/manifest';
import { recordKeyOf } from '../../../../lambdas/records/table-schema';
import { readJson, readObject } from '../../../support/archive-harness';
import { readStoredZip } from '../../../lambdas/audit/zip-reader';
import { startConsole } from '../../../../bin/cli/console/server';
import type { AuditEvent } from '../../../../bin/cli/console/audit-log';
import { TOKEN, get, imageSources, lastEvent, send, startConsoleFixture, type ConsoleFixture } from './console-fixture';

let f: ConsoleFixture;
let outDir: string;
beforeAll(async () => {
  f = await startConsoleFixture();
  outDir = await mkdtemp(join(tmpdir(), 'console-routes-'));
});
afterAll(async () => {
  await f?.close();
  await rm(outDir, { recursive: true, force: true });
});

const check = (label: string) => f.archive.checks[label]!;
const ref = (label: string) => check(label).record.checkRef;
const path = (label: string) => `/check/${check(label).record.provider}/${ref(label)}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const manifestOf = (label: string) => readJson<Manifest>(f.archive.harness.s3, f.emulators.bucketName, check(label).record.manifestKey!);
const VISIBLE = ['liveness-passed', 'liveness-failed', 'kyc-success', 'kyc-other', 'verification', 'liveness-quarantined'];

/** Changes an object for the length of `body`, then puts the original back. */
async function withAltered(key: string, bytes: Buffer, body: () => Promise<void>): Promise<void> {
  const original = await readObject(f.archive.harness.s3, f.emulators.bucketName, key);
  const put = (data: Buffer) => f.archive.harness.s3.send(new PutObjectCommand({ Bucket: f.emulators.bucketName, Key: key, Body: data }));
  await put(bytes);
  try {
    await body();
  } finally {
    await put(original);
  }
}

function ndjson(text: string): Array<Record<string, unknown>> {
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('GET / (search)', () => {
  it('lists every visible check of the last 30 days with links, counts by outcome and status, never the expired one', async () => {
    const answer = await get(f, '/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const label of VISIBLE) expect(answer.text).toContain(`<a href="${path(label)}"><code>${ref(label)}</code></a>`);
    expect(answer.text).not.toContain(ref('verification-expired'));
    expect(answer.text).toContain('<h2 id="counts-title">6 checks match</h2>');
    // Outcome counts link to the same search narrowed to that outcome.
    expect(answer.text).toMatch(/<a href="\/\?outcome=passed">passed<\/a> <span class="count">2<\/span>/);
    expect(answer.text).toMatch(/<a href="\/\?status=archived-partial">archived-partial<\/a> <span class="count">1<\/span>/);
    // Accessible form: every field has its label.
    for (const id of ['f-provider', 'f-from', 'f-to', 'f-outcome', 'f-status', 'f-client', 'f-order', 'f-limit', 'g-provider', 'g-id']) {
      expect(answer.text).toContain(`<label for="${id}">`);
    }
    expect(lastEvent(f)).toMatchObject({
      action: 'query',
      via: 'console',
      caller: { userArn: 'local', osUser: 'auditor-under-test' },
      status: 200,
      read: { returned: 6, more: false, counted: 6 },
    });
    expect((lastEvent(f).read!.checks as string[]).sort()).toEqual(VISIBLE.map((l) => `${check(l).record.provider}#${ref(l)}`).sort());
  });

  it('applies the query filters (provider, outcome, status, client, dates, order) and keeps them in the form', async () => {
    const kyc = await get(f, '/?provider=kyc');
    expect(kyc.text).toContain(ref('kyc-success'));
    expect(kyc.text).toContain(ref('kyc-other'));
    expect(kyc.text).not.toContain(ref('liveness-passed'));
    expect(kyc.text).toContain('<option value="kyc" selected>');

    const passed = await get(f, '/?outcome=passed');
    expect(passed.text).toContain(ref('liveness-passed'));
    expect(passed.text).not.toContain(ref('liveness-failed'));
    expect(passed.text).toContain('value="passed"');

    const client = await get(f, `/?clientKeyHash=${check('kyc-success').record.clientKeyHash}`);
    expect(client.text).toContain(ref('kyc-success'));
    expect(client.text).not.toContain(ref('kyc-other'));

    const day = check('kyc-other').record.createdAt.slice(0, 10);
    const dated = await get(f, `/?from=${day}&to=${day}&status=archived`);
    expect(dated.text).toContain(ref('kyc-other'));
    expect(dated.text).not.toContain(ref('kyc-success'));

    expect(dated.text).toContain(`<input id="f-from" name="from" type="date" value="${day}"`);
    const exact = await get(f, `/?from=${day}T00:00:00Z`);
    expect(exact.text).toContain(`<input id="f-from" name="from" type="text" value="${day}T00:00:00Z"`);
    expect(exact.text).toContain(ref('kyc-other'));

    const desc = await get(f, '/?order=desc');
    expect(desc.text.indexOf(ref('verification'))).toBeLessThan(desc.text.indexOf(ref('liveness-passed')));
  });

  it('pages with the core\'s next token, the same filters kept; pages do not overlap', async () => {
    const twoProviders = await get(f, '/?provider=liveness%2Ckyc&limit=25');
    expect(twoProviders.text).toContain('5 checks match');
    // Pages of 2 cannot be asked for in the form (25 is the least), but the URL takes any limit the core does.
    const page1 = await get(f, '/?provider=liveness&limit=2');
    const next = /<a href="(\/\?[^"]+)" rel="next">Next page<\/a>/.exec(page1.text)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    expect(next).toContain('provider=liveness');
    const page2 = await get(f, next!);
    const refsOf = (text: string) => [...text.matchAll(/<code>([0-9a-f]{32})<\/code><\/a>/g)].map((m) => m[1]);
    const [one, two] = [refsOf(page1.text), refsOf(page2.text)];
    expect(one).toHaveLength(2);
    expect(two).toHaveLength(1);
    expect(new Set([...one, ...two]).size).toBe(3);
    expect(page2.text).toContain('>First page</a>');
  });

  it('a filter the core refuses is a 400 page with its message, the form kept', async () => {
    const answer = await get(f, '/?from=yesterday&outcome=%3Cb%3E');
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('role="alert"');
    expect(answer.text).toMatch(/outcome must be|from must be/);
    expect(answer.text).toContain('value="&lt;b&gt;"');
    expect(answer.text).not.toContain('<b>');
    expect(lastEvent(f)).toMatchObject({ action: 'query', status: 400, error: 'InvalidQueryError' });
  });
});

describe('POST /find', () => {
  const find = (body: string, headers: Record<string, string> = {}) =>
    send(f.console.port, { method: 'POST', path: '/find', headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  it('takes the provider\'s check id, a checkRef or a 12-character prefix in the body, and sends the browser to the check', async () => {
    const { check: liveness } = check('liveness-passed');
    for (const id of [liveness.checkId, liveness.checkRef, liveness.checkRef.slice(0, 12)]) {
      const answer = await find(`provider=liveness&id=${encodeURIComponent(id)}`, { origin: `http://127.0.0.1:${f.console.port}` });
      expect(answer.status).toBe(303);
      expect(answer.headers.location).toBe(path('liveness-passed'));
    }
    expect(lastEvent(f)).toMatchObject({ action: 'find', status: 303, read: { provider: 'liveness', checkRef: liveness.checkRef } });
    // The liveness id is a bearer token: it is in no audit event.
    expect(f.lines.join('\n')).not.toContain(liveness.checkId);
  });

  it('no such check is a 404 page; a wrong form a 400', async () => {
    const missing = await find('provider=kyc&id=00000000-0000-1000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('No such check');
    expect(lastEvent(f)).toMatchObject({ action: 'find', status: 404, error: 'RecordNotFoundError' });
    expect((await find('provider=passport&id=abc')).status).toBe(400);
    expect((await send(f.console.port, { method: 'POST', path: '/find', headers: { cookie: f.cookie, 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    expect((await find(`provider=kyc&id=${'a'.repeat(5000)}`)).status).toBe(400);
  });
});

describe('GET /check/{provider}/{checkRef}', () => {
  it('a KYC check: record, retention clock and basis, the task images side by side, the answer as a tree and raw', async () => {
    const { record } = check('kyc-success');
    const answer = await get(f, path('kyc-success'));
    expect(answer.status).toBe(200);
    const page = answer.text;
    expect(page).toContain(`<h1 id="check-title">kyc check <code class="ref">${record.checkRef}</code></h1>`);
    expect(page).toContain('<dt>Status</dt><dd>archived</dd>');
    expect(page).toContain('<dt>Outcome</dt><dd>success</dd>');
    expect(page).toContain(`<dt>Class</dt><dd>${record.retentionClass}</dd>`);
    expect(page).toContain(`<dt>Basis</dt><dd>${record.retentionBasis.replace(/'/g, '&#39;')}</dd>`);
    expect(page).toMatch(/<meter id="retention-meter" min="0" max="100" value="[\d.]+">/);
    expect(page).toMatch(/years? \d+ days? left|years? left/);
    expect(page).toContain(record.clientKeyHash!);
    // Document and selfie tasks are groups of one row.
    expect(page).toContain('<h3>Task 0: document</h3>');
    expect(page).toContain('<h3>Task 1: selfie</h3>');
    expect(page.indexOf('Task 0: document')).toBeLessThan(page.indexOf('Task 1: selfie'));
    // The faces task's compared images come in pairs, side by side.
    expect(page.match(/<div class="pair" role="group" aria-label="Compared images, check 0\.\d">/g)).toHaveLength(2);
    // Each image shown is the archived object, byte for byte, and says so in its alt text.
    const manifest = await manifestOf('kyc-success');
    const sources = imageSources(page);
    expect(sources).toHaveLength(7);
    for (const src of sources) {
      const key = decodeURIComponent(new URL(src).pathname).replace(`/${f.emulators.bucketName}/`, '');
      const entry = manifest.objects.find((o) => o.key === key)!;
      const bytes = Buffer.from(await (await fetch(src)).arrayBuffer());
      expect(sha256(bytes)).toBe(entry.sha256);
      expect(page).toContain(entry.sha256);
    }
    expect(page).toMatch(/<img src="[^"]+" alt="document \(task 0\) imagesFull image 0, image\/jpeg, archived copy">/);
    // The answer: a keyboard-operable tree, and the raw JSON one click away.
    expect(page).toContain('<ul class="tree">');
    expect(page).toContain('<span class="key">clientKey</span>: <span class="v-string">"client-e2e-1"</span>');
    expect(page).toContain('<details class="raw no-print"><summary>Raw JSON</summary><pre><code>{');
    // References to archived images link to their figure.
    expect(page).toMatch(/<a href="#img-\d+">archived image<\/a>/);
    // The answer as received is a download.
    const download = /<a href="([^"]+)" download>The answer exactly as received<\/a>/.exec(page)![1]!.replace(/&amp;/g, '&');
    expect(new URL(download).searchParams.get('response-content-disposition')).toMatch(/^attachment/);
    expect(lastEvent(f)).toMatchObject({
      action: 'show',
      status: 200,
      read: { provider: 'kyc', checkRef: record.checkRef, result: true, presignedImages: 7 },
    });
  });

  it('a liveness check: each face box the manifest keeps is given to the page to draw over its frame, and described', async () => {
    const page = (await get(f, path('liveness-passed'))).text;
    const manifest = await manifestOf('liveness-passed');
    const boxed = manifest.objects.filter((o) => o.boundingBox !== undefined);
    expect(boxed.length).toBeGreaterThan(0);
    for (const object of boxed) {
      const box = object.boundingBox as { x: number; y: number; width: number; height: number };
      expect(page).toContain(`data-box="${box.x},${box.y},${box.width},${box.height}" data-box-unit="px"`);
      expect(page).toContain(`Face box (outlined): x ${box.x}, y ${box.y}, ${box.width} × ${box.height} px`);
    }
    expect(page.match(/<span class="bbox" hidden><\/span>/g)).toHaveLength(manifest.objects.filter((o) => o.contentType.startsWith('image/')).length);
    // The probe comes before the frames.
    expect(page.indexOf('liveness probe image')).toBeLessThan(page.indexOf('liveness frame 0'));
  });

  it('quarantined items are marked and offered only as downloads (attachment, octet-stream), never as <img>', async () => {
    const page = (await get(f, path('liveness-quarantined'))).text;
    const manifest = await manifestOf('liveness-quarantined');
    const quarantined = manifest.objects.filter((o) => o.quarantined);
    expect(quarantined).toHaveLength(1);
    expect(page).toContain(`<strong>Quarantined: ${quarantined[0]!.quarantined!.reason}.</strong>`);
    expect(page).toContain('<dt>Quarantined</dt><dd>1 item kept as received');
    for (const src of imageSources(page)) expect(src).not.toContain('quarantine');
    const link = /<a class="no-print" href="([^"]+)" download>Download the item as received/.exec(page)![1]!.replace(/&amp;/g, '&');
    const response = await fetch(link);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(quarantined[0]!.sha256);
  });

  it('a check without images or answer says so', async () => {
    const page = (await get(f, path('verification'))).text;
    expect(page).toContain('No archived images.');
    expect(page).toContain('<span class="key">');
  });

  it('a unique prefix redirects to the full checkRef; unknown, expired and malformed names are 404 or 400', async () => {
    const prefix = await get(f, `/check/kyc/${ref('kyc-success').slice(0, 12)}`);
    expect(prefix.status).toBe(302);
    expect(prefix.headers.location).toBe(path('kyc-success'));
    expect((await get(f, `/check/kyc/${'0'.repeat(32)}`)).status).toBe(404);
    const expired = await get(f, path('verification-expired'));
    expect(expired.status).toBe(404);
    expect(expired.text).toContain('past its retention');
    expect((await get(f, `/check/passport/${ref('kyc-success')}`)).status).toBe(400);
    // Names that are not hex never reach the core (no check id in a URL).
    expect((await get(f, '/check/liveness/not-a-ref')).status).toBe(404);
    expect(lastEvent(f)).toMatchObject({ action: 'unknown', status: 404 });
  });

  it('escapes whatever the archive holds: markup, terminal escapes and bidi overrides in answers and records', async () => {
    const { record } = check('verification');
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>\u001b[31mred\u202Egnp.exe';
    const resultKey = record.resultKey!;
    await f.archive.harness.dynamo.send(
      new UpdateCommand({
        TableName: f.emulators.tableName,
        Key: { pk: recordKeyOf('verification', record.checkRef) },
        UpdateExpression: 'SET #d = :d',
        ExpressionAttributeNames: { '#d': 'detail' },
        ExpressionAttributeValues: { ':d': hostile },
      }),
    );
    try {
      await withAltered(resultKey, Buffer.from(JSON.stringify({ [hostile]: hostile, list: [hostile] })), async () => {
        const page = (await get(f, path('verification'))).text;
        expect(page).not.toContain('<script>alert');
        expect(page).not.toContain('<img src=x');
        expect(page).not.toContain('\u001b');
        expect(page).not.toContain('\u202E');
        expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;\u241B[31mred\u27e8U+202E\u27e9gnp.exe');
        expect(page).toContain('<dt>Detail</dt><dd>&lt;script&gt;');
      });
    } finally {
      await f.archive.harness.dynamo.send(
        new UpdateCommand({ TableName: f.emulators.tableName, Key: { pk: recordKeyOf('verification', record.checkRef) }, UpdateExpression: 'REMOVE #d', ExpressionAttributeNames: { '#d': 'detail' } }),
      );
    }
  });
});

describe('export and verify one check', () => {
  it('GET …/export: the bundle link and the verify form', async () => {
    const answer = await get(f, `${path('kyc-success')}/export`);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(`<a class="button" href="${path('kyc-success')}/bundle.zip" download>Export case (.zip)</a>`);
    expect(answer.text).toContain(`data-stream="${path('kyc-success')}/verify.ndjson"`);
    expect(answer.text).toMatch(/<label for="verify-progress"[^>]*>/);
    expect(lastEvent(f)).toMatchObject({ action: 'show', read: { provider: 'kyc', checkRef: ref('kyc-success'), page: 'export' } });
  });

  it('GET …/export?run=1 (no script): the result object by object', async () => {
    const answer = await get(f, `${path('kyc-success')}/export?run=1`);
    const manifest = await manifestOf('kyc-success');
    expect(answer.text).toContain('<strong>Verified</strong>');
    expect(answer.text.match(/<td class="ok">sha256 and size match<\/td>/g)).toHaveLength(manifest.objects.length + 1);
    expect(lastEvent(f)).toMatchObject({ action: 'verify', read: { checks: [`kyc#${ref('kyc-success')}`], failed: 0, objects: manifest.objects.length + 1 } });
  });

  it('GET …/bundle.zip: the case bundle, whose SHA256SUMS hold for every file; its sha256 is in the audit event', async () => {
    const answer = await get(f, `${path('kyc-success')}/bundle.zip`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/zip');
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="kyc-${ref('kyc-success').slice(0, 12)}-case.zip"`);
    const zipPath = join(outDir, 'case.zip');
    await writeFile(zipPath, answer.body);
    const entries = readStoredZip(zipPath);
    const sums = entries.get('SHA256SUMS')!.toString('utf8').trim().split('\n');
    expect(sums.length).toBeGreaterThan(5);
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/);
      expect(sha256(entries.get(name!)!), name).toBe(hash);
    }
    const manifest = await manifestOf('kyc-success');
    for (const object of manifest.objects) {
      const relative = object.key.slice(check('kyc-success').record.manifestKey!.length - 'manifest.json'.length);
      expect(sha256(entries.get(`evidence/${relative}`)!)).toBe(object.sha256);
    }
    expect(lastEvent(f)).toMatchObject({ action: 'export', status: 200, read: { provider: 'kyc', checkRef: ref('kyc-success'), bundleSha256: sha256(answer.body), bundleBytes: answer.body.length } });
  });

  it('GET …/verify.ndjson: progress lines, then the result object by object', async () => {
    const answer = await get(f, `${path('liveness-passed')}/verify.ndjson`);
    expect(answer.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = ndjson(answer.text);
    expect(lines[0]).toEqual({ type: 'start', unit: 'bytes', total: check('liveness-passed').record.bytes });
    const progress = lines.filter((l) => l.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ done: check('liveness-passed').record.bytes });
    const done = lines.at(-1)!;
    expect(done).toMatchObject({ type: 'done', ok: true });
    const manifest = await manifestOf('liveness-passed');
    for (const object of manifest.objects) expect(done.html).toContain(object.sha256);
    expect(lastEvent(f)).toMatchObject({ action: 'verify', status: 200, read: { failed: 0, checks: [`liveness#${ref('liveness-passed')}`] } });
  });

  it('an altered image: verify names it, the export is refused (409, no zip) and says which object', async () => {
    const manifest = await manifestOf('kyc-other');
    const image = manifest.objects.find((o) => o.contentType === 'image/jpeg')!;
    const relative = image.key.slice(check('kyc-other').record.manifestKey!.length - 'manifest.json'.length);
    await withAltered(image.key, Buffer.from('not the archived bytes'), async () => {
      const done = ndjson((await get(f, `${path('kyc-other')}/verify.ndjson`)).text).at(-1)!;
      expect(done).toMatchObject({ type: 'done', ok: false });
      expect(done.html).toContain(`<td><code>${relative}</code></td>`);
      expect(done.html).toMatch(/<td class="failed">object-altered: sha256 [0-9a-f]{64} where the manifest has/);
      expect(lastEvent(f)).toMatchObject({ action: 'verify', read: { failed: 1 } });

      const refused = await get(f, `${path('kyc-other')}/bundle.zip`);
      expect(refused.status).toBe(409);
      expect(refused.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(refused.text).toContain('Export refused');
      expect(refused.text).toContain('object-altered');
      expect(lastEvent(f)).toMatchObject({ action: 'export', status: 409, read: { refused: true, failed: 1 } });
    });
  });
});

describe('verify many checks', () => {
  it('GET /verify: the filters it will use and the form; ?run=1 the result per check', async () => {
    const page = await get(f, '/verify?provider=kyc');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Filters: provider <code>kyc</code>');
    expect(page.text).toContain('data-stream="/verify.ndjson?provider=kyc"');
    const run = await get(f, '/verify?provider=kyc&run=1');
    expect(run.text).toMatch(/<strong>Verified<\/strong>: 2 checks: \d+ objects/);
    expect(run.text).toContain(ref('kyc-success'));
    expect(run.text).toContain(ref('kyc-other'));
    expect(lastEvent(f)).toMatchObject({ action: 'verify', read: { failed: 0, filters: { provider: 'kyc' } } });
  });

  it('GET /verify.ndjson: one progress line per check at most, then the summary; a failure is named', async () => {
    const lines = ndjson((await get(f, '/verify.ndjson')).text);
    expect(lines[0]).toEqual({ type: 'start', unit: 'checks', total: 6 });
    expect(lines.at(-2)).toEqual({ type: 'progress', done: 6, total: 6 });
    expect(lines.at(-1)).toMatchObject({ type: 'done', ok: true });
    const image = (await manifestOf('liveness-failed')).objects.find((o) => o.contentType === 'image/jpeg')!;
    await withAltered(image.key, Buffer.from('x'), async () => {
      const done = ndjson((await get(f, '/verify.ndjson?provider=liveness')).text).at(-1)!;
      expect(done).toMatchObject({ type: 'done', ok: false });
      expect(done.html).toContain('1 of 3 checks have missing or altered objects');
      expect(done.html).toContain(`<a href="${path('liveness-failed')}">`);
    });
    expect((await get(f, '/verify.ndjson?from=never')).status).toBe(400);
  });
});

describe('when the archive cannot be read', () => {
  /** A second console on the same archive whose S3 reads fail with `error` (listing and presigning still work). */
  async function failingConsole(error: Error & { $metadata?: { httpStatusCode: number } }) {
    const real = f.archive.audit.s3;
    const s3 = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'send') return (command: unknown) => (command instanceof GetObjectCommand ? Promise.reject(error) : target.send(command as never));
        return Reflect.get(target, property, receiver);
      },
    }) as S3Client;
    const events: AuditEvent[] = [];
    const running = await startConsole({ deps: { ...f.archive.audit, s3 }, targetLabel: 'failing', caller: { userArn: 'local' }, auditLog: { write: (e) => events.push(structuredClone(e)) }, token: TOKEN });
    const cookie = `audit_console_${running.port}=${TOKEN}`;
    return { running, events, get: (p: string) => send(running.port, { path: p, headers: { cookie } }) };
  }

  it('a refusal by S3 is a 500 page naming only the request id; a throttled archive a 503', async () => {
    const denied = await failingConsole(Object.assign(new Error('Access Denied for arn:aws:kms:secret'), { name: 'KMSAccessDenied', $metadata: { httpStatusCode: 403 } }));
    try {
      const answer = await denied.get(path('kyc-success'));
      expect(answer.status).toBe(500);
      expect(answer.text).toContain(`<code>${answer.headers['x-request-id']}</code>`);
      expect(answer.text).not.toContain('arn:aws:kms');
      expect(denied.events.at(-1)).toMatchObject({ action: 'show', status: 500, error: 'StorageRejectedError: S3 GetObject failed: KMSAccessDenied (HTTP 403)' });
    } finally {
      await denied.running.close();
    }
    const busy = await failingConsole(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    try {
      const answer = await busy.get(path('kyc-success'));
      expect(answer.status).toBe(503);
      expect(answer.text).toContain('The archive is busy');
    } finally {
      await busy.running.close();
    }
  });

  it('a verification stream that fails ends with an error line, and its event with status 500', async () => {
    const denied = await failingConsole(Object.assign(new Error('denied'), { name: 'AccessDeniedByPolicy', $metadata: { httpStatusCode: 403 } }));
    try {
      const answer = await denied.get(`${path('kyc-success')}/verify.ndjson`);
      expect(answer.status).toBe(200); // the stream had started
      const lines = ndjson(answer.text);
      expect(lines.at(-1)).toMatchObject({ type: 'error', message: expect.stringContaining('could not finish'), requestId: answer.headers['x-request-id'] });
      expect(denied.events.at(-1)).toMatchObject({ action: 'verify', status: 500, error: expect.stringContaining('StorageRejectedError') });
    } finally {
      await denied.running.close();
    }
  });
});

describe('assets and the rest', () => {
  it('serves its own script and stylesheet (no audit event for them), 404 for anything else', async () => {
    const before = f.events.length;
    const script = await get(f, '/assets/console.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain('data-stream');
    const css = await get(f, '/assets/console.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.text).toContain('@media print');
    expect((await get(f, '/favicon.ico')).status).toBe(204);
    expect(f.events.length).toBe(before);
    expect((await get(f, '/assets/other.js')).status).toBe(404);
    expect(f.events.length).toBe(before + 1);
  });

  it('audit events never carry the token, a check id or a clientKey', () => {
    const all = f.lines.join('\n');
    expect(all).not.toContain(f.cookie.split('=')[1]);
    for (const { check: c } of Object.values(f.archive.checks)) {
      expect(all).not.toContain(c.checkId);
      if (c.clientKey) expect(all).not.toContain(c.clientKey);
    }
  });
});
