import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AnswerPlaceholderError,
  answerBytes,
  DuplicateCheckError,
  InvalidScriptError,
  isUuidV1,
  loadScenarioFile,
  parseCheckScript,
  parseScenario,
  servedAnswer,
  startFakeProviders,
  type AnswersScript,
} from '../../../local/fake-providers';
import { bytesOf, CREDS, kyc, liveness, startVirtual, verification, type VirtualFake } from './helpers';

let fake: VirtualFake;
beforeEach(async () => {
  fake = await startVirtual();
});
afterEach(() => fake.close());

/** A status request with the right credentials, read as raw bytes. */
function poll(provider: 'liveness' | 'kyc' | 'verification', ids: { checkId: string; clientKey?: string }) {
  switch (provider) {
    case 'liveness':
      return bytesOf(`${fake.baseUrl}/liveness_check?token=${encodeURIComponent(ids.checkId)}`, { headers: { 'x-api-key': CREDS.livenessApiKey } });
    case 'kyc':
      return bytesOf(`${fake.baseUrl}/v1/kyc/session/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', token: CREDS.kycJwt },
        body: JSON.stringify(ids.clientKey ? { clientKey: ids.clientKey } : { sessionId: ids.checkId }),
      });
    case 'verification':
      return bytesOf(`${fake.baseUrl}/v1/verify/${encodeURIComponent(ids.checkId)}`, { headers: { authorization: `Bearer ${CREDS.verificationApiKey}` } });
  }
}

describe('answers scripts: validation', () => {
  it('is told apart by `answers`, fills defaults, and mixes with lifecycle scripts in a scenario', () => {
    const parsed = parseCheckScript({ provider: 'kyc', answers: [{ status: 200, body: null }] });
    expect(parsed).toEqual({ provider: 'kyc', answers: [{ status: 200, body: null, headers: {} }] });
    const scenario = parseScenario([{ provider: 'liveness' }, { provider: 'liveness', answers: [{ status: 202 }] }]);
    expect(scenario.map((script) => 'answers' in script)).toEqual([false, true]);
  });

  it.each([
    ['no answers', { provider: 'liveness', answers: [] }, 'answers'],
    ['a lifecycle field', { provider: 'liveness', outcome: 'failed', answers: [{ status: 200 }] }, 'outcome'],
    ['a status below 100', { provider: 'verification', answers: [{ status: 99 }] }, 'status'],
    ['a status above 599', { provider: 'verification', answers: [{ status: 600 }] }, 'status'],
    ['body and text together', { provider: 'verification', answers: [{ status: 200, body: {}, text: '{}' }] }, 'text'],
    ['a body on a 204', { provider: 'verification', answers: [{ status: 204, text: 'x' }] }, 'status'],
    ['a body that is not JSON (NaN)', { provider: 'verification', answers: [{ status: 200, body: { n: Number.NaN } }] }, 'body'],
    ['a body that is not JSON (undefined member)', { provider: 'verification', answers: [{ status: 200, body: [undefined] }] }, 'body'],
    ['a body that is not JSON (Date)', { provider: 'verification', answers: [{ status: 200, body: new Date(0) }] }, 'body'],
    ['a content-length header', { provider: 'liveness', answers: [{ status: 200, headers: { 'Content-Length': '3' } }] }, 'headers'],
    ['a content-type header (use contentType)', { provider: 'liveness', answers: [{ status: 200, headers: { 'content-type': 'x/y' } }] }, 'headers'],
    ['a header named twice', { provider: 'liveness', answers: [{ status: 200, headers: { 'X-A': '1', 'x-a': '2' } }] }, 'headers'],
    ['a header value with CR/LF', { provider: 'liveness', answers: [{ status: 200, headers: { 'x-a': '1\r\nset-cookie: x' } }] }, 'headers'],
    ['a KYC sessionId that is not a UUID v1', { provider: 'kyc', checkId: 'session-1', answers: [{ status: 200 }] }, 'checkId'],
    ['a clientKey outside KYC', { provider: 'liveness', clientKey: 'k', answers: [{ status: 200 }] }, 'clientKey'],
  ])('rejects %s, naming the field', (_, script, field) => {
    expect(() => parseCheckScript(script)).toThrow(InvalidScriptError);
    expect(() => parseCheckScript(script)).toThrow(field);
  });

  it('rejects a cyclic body', () => {
    const body: Record<string, unknown> = {};
    body.self = body;
    expect(() => parseCheckScript({ provider: 'verification', answers: [{ status: 200, body }] })).toThrow(InvalidScriptError);
  });

  it('never echoes script values in its errors', () => {
    const secret = 'secret token with spaces';
    expect(() => parseCheckScript({ provider: 'liveness', checkId: secret, answers: [{ status: 200 }] })).toThrow(/checkId/);
    expect(() => parseCheckScript({ provider: 'liveness', checkId: secret, answers: [{ status: 200 }] })).not.toThrow(secret);
  });
});

describe('answers scripts: serving', () => {
  it('answers each request with the next answer, then repeats the last one; bytes are servedAnswer()', async () => {
    const script: AnswersScript = {
      provider: 'verification',
      checkId: 'ver_drift',
      answers: [
        { status: 200, body: { id: 'ver_drift', status: 'processing', confidence: '0.5', extra: null } },
        { status: 503, text: 'upstream down', contentType: 'text/plain', headers: { 'Retry-After': '1' } },
        { status: 200, body: { id: 'ver_drift', status: 'finalised', verdict: 7 } },
      ],
    };
    fake.addCheck(script);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await poll('verification', { checkId: 'ver_drift' }));
    expect(got.map((res) => res.status)).toEqual([200, 503, 200, 200, 200]);
    got.forEach((res, i) => {
      const expected = servedAnswer(script, i, fake.baseUrl);
      expect(res.bytes.equals(expected.body)).toBe(true);
      expect(res.bytes.equals(answerBytes(script, i, fake.baseUrl))).toBe(true);
      expect(res.headers.get('content-type')).toBe(expected.headers['content-type']);
    });
    expect(got[0]!.bytes.toString()).toBe('{"id":"ver_drift","status":"processing","confidence":"0.5","extra":null}');
    expect(got[0]!.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(got[1]!.bytes.toString()).toBe('upstream down');
    expect(got[1]!.headers.get('content-type')).toBe('text/plain');
    expect(got[1]!.headers.get('retry-after')).toBe('1');
    expect(got[4]!.bytes.toString()).toBe('{"id":"ver_drift","status":"finalised","verdict":7}');
  });

  it('serves `text` byte for byte (invalid JSON, exact number spelling, UTF-8)', async () => {
    const text = '{"confidence": 1.0, "big": 12345678901234567890, "name": "Zoë" ';
    const { checkId } = fake.addCheck({ provider: 'liveness', answers: [{ status: 200, text }] });
    const res = await poll('liveness', { checkId });
    expect(res.bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('an answer without body or text is empty: no content type unless given, none at all on a 204', async () => {
    const { checkId } = fake.addCheck({
      provider: 'liveness',
      answers: [{ status: 202 }, { status: 200, contentType: 'application/json' }, { status: 204 }],
    });
    const empty = await poll('liveness', { checkId });
    expect(empty).toMatchObject({ status: 202, bytes: Buffer.alloc(0) });
    expect(empty.headers.get('content-type')).toBeNull();
    expect(empty.headers.get('content-length')).toBe('0');
    const typed = await poll('liveness', { checkId });
    expect(typed.headers.get('content-type')).toBe('application/json');
    const noContent = await poll('liveness', { checkId });
    expect(noContent.status).toBe(204);
    expect(noContent.headers.get('content-length')).toBeNull();
  });

  it('fills {{baseUrl}}, {{checkId}} and {{clientKey}}: JSON-escaped in body, as is in text', async () => {
    const clientKey = 'key "quoted" \\ x';
    const script: AnswersScript = {
      provider: 'kyc',
      clientKey,
      answers: [
        { status: 200, body: { sessionId: '{{checkId}}', clientKey: '{{clientKey}}', imagesFull: ['{{baseUrl}}/images/any/{{checkId}}/doc.gif'], other: '{{other}}' } },
        { status: 200, text: '{{clientKey}}|{{checkId}}|{{baseUrl}}', contentType: 'text/plain' },
      ],
    };
    const created = fake.addCheck(script);
    expect(isUuidV1(created.checkId)).toBe(true);
    expect(created.clientKey).toBe(clientKey);
    const first = await poll('kyc', created);
    expect(JSON.parse(first.bytes.toString())).toEqual({
      sessionId: created.checkId,
      clientKey,
      imagesFull: [`${fake.baseUrl}/images/any/${created.checkId}/doc.gif`],
      other: '{{other}}',
    });
    expect(fake.baseUrl.endsWith('/')).toBe(false);
    const second = await poll('kyc', created);
    expect(second.bytes.toString()).toBe(`${clientKey}|${created.checkId}|${fake.baseUrl}`);
    expect(first.bytes.equals(answerBytes(script, 0, fake.baseUrl, created))).toBe(true);
    expect(second.bytes.equals(answerBytes(script, 1, `${fake.baseUrl}/`, created))).toBe(true);
  });

  it('{{clientKey}} has no value outside KYC and stays as written', async () => {
    const script: AnswersScript = { provider: 'verification', answers: [{ status: 200, text: '{{checkId}} {{clientKey}}' }] };
    const { checkId } = fake.addCheck(script);
    expect(checkId).toMatch(/^ver_[0-9a-f]{16}$/);
    expect((await poll('verification', { checkId })).bytes.toString()).toBe(`${checkId} {{clientKey}}`);
  });

  it('servedAnswer: the last answer for any later index; typed errors for a bad index or a missing id', () => {
    const script: AnswersScript = { provider: 'liveness', answers: [{ status: 202 }, { status: 200, text: 'token={{checkId}}' }] };
    expect(servedAnswer(script, 99, 'http://h', { checkId: 't1' })).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: Buffer.from('token=t1'),
    });
    expect(() => servedAnswer(script, -1, 'http://h')).toThrow(RangeError);
    expect(() => servedAnswer(script, 1, 'http://h')).toThrow(AnswerPlaceholderError);
    expect(() => servedAnswer({ provider: 'liveness', answers: [] }, 0, 'http://h')).toThrow(InvalidScriptError);
  });

  it('generates ids like lifecycle checks and refuses an id already taken by either kind', () => {
    const liveness = fake.addCheck({ provider: 'liveness', answers: [{ status: 200 }] });
    expect(liveness.checkId).toMatch(/^[\w-]{32}$/);
    fake.addCheck({ provider: 'verification', checkId: 'ver_taken' });
    expect(() => fake.addCheck({ provider: 'verification', checkId: 'ver_taken', answers: [{ status: 200 }] })).toThrow(DuplicateCheckError);
  });
});

describe('answers scripts: auth and lookup as for lifecycle checks', () => {
  it('checks credentials first, for every provider, without using up an answer', async () => {
    const answers = [{ status: 200, text: 'first' }, { status: 200, text: 'second' }];
    const l = fake.addCheck({ provider: 'liveness', answers });
    const k = fake.addCheck({ provider: 'kyc', answers });
    const v = fake.addCheck({ provider: 'verification', answers });
    expect(await liveness(fake, l.checkId, 'wrong')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await kyc(fake, { sessionId: k.checkId }, { jwt: null })).toMatchObject({ status: 401, body: { status: 'error', message: 'access denied' } });
    expect(await verification(fake, v.checkId, null)).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(fake.stats().checks.map((check) => check.requests)).toEqual([0, 0, 0]);
    for (const [provider, ids] of [['liveness', l], ['kyc', k], ['verification', v]] as const) {
      expect((await poll(provider, ids)).bytes.toString()).toBe('first');
    }
  });

  it('KYC: found by sessionId or clientKey; clientKey wins; the request is still validated', async () => {
    const lifecycle = fake.addCheck({ provider: 'kyc', clientKey: 'lifecycle-client' });
    const drift = fake.addCheck({ provider: 'kyc', clientKey: 'drift-client', answers: [{ status: 200, text: 'drift' }] });
    expect((await poll('kyc', { checkId: drift.checkId })).bytes.toString()).toBe('drift');
    expect((await poll('kyc', { checkId: 'unused', clientKey: 'drift-client' })).bytes.toString()).toBe('drift');
    expect((await kyc(fake, { sessionId: drift.checkId, clientKey: 'lifecycle-client' })).body.sessionId).toBe(lifecycle.checkId);
    expect((await kyc(fake, { sessionId: lifecycle.checkId, clientKey: 'drift-client' })).body).toBe('drift');
    expect((await kyc(fake, { sessionId: drift.checkId, clientKey: '' })).status).toBe(400);
    // The newest session with a clientKey answers for it, whichever kind it is.
    fake.addCheck({ provider: 'kyc', clientKey: 'drift-client', answers: [{ status: 200, text: 'newer' }] });
    expect((await poll('kyc', { checkId: 'unused', clientKey: 'drift-client' })).bytes.toString()).toBe('newer');
  });

  it('unknown ids still get the provider’s not-found answers', async () => {
    fake.addCheck({ provider: 'liveness', checkId: 'known', answers: [{ status: 200 }] });
    expect((await liveness(fake, 'unknown')).status).toBe(400);
    expect((await verification(fake, 'ver_unknown')).status).toBe(404);
  });
});

describe('answers scripts: stats and control API', () => {
  it('counts requests per check; terminal once the last answer was served', async () => {
    const { checkId } = fake.addCheck({ provider: 'verification', label: 'drift', answers: [{ status: 200 }, { status: 200 }] });
    const stats = () => fake.stats().checks.find((check) => check.checkId === checkId);
    expect(stats()).toEqual({ provider: 'verification', checkId, label: 'drift', kind: 'answers', requests: 0, answers: 0, phase: 'pending' });
    await poll('verification', { checkId });
    expect(stats()).toMatchObject({ requests: 1, phase: 'pending' });
    await poll('verification', { checkId });
    await poll('verification', { checkId });
    expect(stats()).toMatchObject({ requests: 3, answers: 3, phase: 'terminal' });
    expect(fake.stats().requests.verification).toBe(3);
  });

  it('POST /_control/checks creates answers checks; GET lists them', async () => {
    const created = await fetch(`${fake.baseUrl}/_control/checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ provider: 'kyc', label: 'a', answers: [{ status: 200, body: { n: 1 } }] }, { provider: 'liveness' }]),
    });
    expect(created.status).toBe(201);
    const [drift] = ((await created.json()) as { checks: { checkId: string; clientKey: string }[] }).checks;
    expect(drift).toMatchObject({ provider: 'kyc', label: 'a', clientKey: expect.stringMatching(/^client_[0-9a-f]{12}$/) });
    expect((await poll('kyc', drift!)).bytes.toString()).toBe('{"n":1}');
    const listed = (await (await fetch(`${fake.baseUrl}/_control/checks`)).json()) as { checks: unknown[] };
    expect(listed.checks).toEqual([{ provider: 'kyc', checkId: drift!.checkId, clientKey: drift!.clientKey, label: 'a' }, expect.objectContaining({ provider: 'liveness' })]);
    const bad = await fetch(`${fake.baseUrl}/_control/checks`, { method: 'POST', body: JSON.stringify({ provider: 'kyc', answers: [{ status: 1 }] }) });
    expect(bad.status).toBe(400);
  });
});

describe('answers scripts: scenario files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-answers-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads answers scripts next to lifecycle scripts and serves them', async () => {
    const file = join(dir, 'drift.json');
    await writeFile(
      file,
      JSON.stringify({
        checks: [
          { provider: 'liveness', checkId: 'drift-token', answers: [{ status: 200, body: { status: 'complete', result: { passed: 'yes' } } }] },
          { provider: 'verification', checkId: 'ver_lifecycle' },
        ],
      }),
    );
    const scripts = await loadScenarioFile(file);
    expect(scripts).toHaveLength(2);
    const server = await startFakeProviders({ checks: scripts });
    try {
      expect(await liveness(server, 'drift-token')).toMatchObject({ status: 200, body: { status: 'complete', result: { passed: 'yes' } } });
      expect((await verification(server, 'ver_lifecycle')).body.status).toBe('completed');
    } finally {
      await server.close();
    }
  });

  it('rejects a scenario with an invalid answers script, naming where', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify([{ provider: 'kyc' }, { provider: 'kyc', answers: [{ status: 200, body: 1, text: '1' }] }]));
    await expect(loadScenarioFile(file)).rejects.toThrow(InvalidScriptError);
    await expect(loadScenarioFile(file)).rejects.toThrow(/checks\[1\]\.answers\[0\]\.text/);
  });
});
