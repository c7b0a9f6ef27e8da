import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ProviderUnavailableError } from '../../../lambdas/common/errors';
import { REDACTED, isSensitiveKey, redact, redactString } from '../../../lambdas/common/log-redaction';
import { createLogger, logger } from '../../../lambdas/common/powertools';

/** The JSON lines the logger writes while `run` runs (Powertools writes through process.stdout/stderr). */
function captureLines(run: () => void): Record<string, unknown>[] {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const TOKEN = 'lt_9f8e7d6c5b4a-liveness-bearer-token';
const CLIENT_KEY = 'client-key-4711-secret';
const API_KEY = 'sk_live_0123456789abcdef';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLWJ5dGVz';
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk';
const RAW_FRAME = 'A'.repeat(300) + 'QkFTRTY0RlJBTUU';

/** Every value that must never reach a log line. */
const SECRETS = [
  TOKEN,
  CLIENT_KEY,
  API_KEY,
  JWT,
  PNG_BASE64,
  RAW_FRAME,
  'Ada',
  'Lovelace',
  'Ada Lovelace',
  '1815-12-10',
  'ada@example.com',
  '0xWALLET00000000000000000000000000000042',
  'OCR-DOC-NUMBER-X1234567',
  'query-secret-value',
  'userinfo-pass',
];

/** A provider answer and request context as a careless caller might log them. */
function leakyPayload() {
  return {
    provider: 'kyc',
    checkRef: '0123456789abcdef0123456789abcdef',
    executionName: 'kyc-0123456789abcdef0123456789abcdef',
    statusCode: 503,
    request: {
      url: `https://api.liveness.example/v1/status?token=${TOKEN}&x=query-secret-value`,
      headers: { Authorization: `Bearer ${JWT}`, 'x-api-key': API_KEY, accept: 'application/json' },
    },
    check: { provider: 'liveness', checkId: TOKEN, clientKey: CLIENT_KEY },
    session: {
      status: 'success',
      email: 'ada@example.com',
      wallet: '0xWALLET00000000000000000000000000000042',
      tasks: [
        {
          type: 'document',
          ocr: { fields: [{ name: 'document_number', value: 'OCR-DOC-NUMBER-X1234567' }] },
          imagesFull: [`data:image/png;base64,${PNG_BASE64}`],
          person: { first_name: 'Ada', LastName: 'Lovelace', 'date-of-birth': '1815-12-10', dob: '1815-12-10' },
        },
      ],
      deep: { a: { b: { c: { d: { e: { name: 'Ada Lovelace', jwt: JWT } } } } } },
    },
    frames: [{ image: RAW_FRAME }, { note: `raw frame ${RAW_FRAME}` }],
    link: 'https://user:userinfo-pass@files.example/img.png#frag',
  };
}

describe('redactString', () => {
  it('masks data URIs (type kept), JWTs, bearer values, URL queries and userinfo, long base64 runs', () => {
    expect(redactString(`img data:image/jpeg;name=face.jpg;base64,${PNG_BASE64} end`)).toBe(
      `img data:image/jpeg;base64,${REDACTED} end`,
    );
    expect(redactString(`token ${JWT}.`)).toBe(`token ${REDACTED}.`);
    expect(redactString('Authorization: Bearer abcdefghijklmnop')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString('GET https://h.example/a/b?token=x&y=1 failed')).toBe(`GET https://h.example/a/b?${REDACTED} failed`);
    expect(redactString('https://u:p@h.example/x')).toBe(`https://${REDACTED}@h.example/x`);
    expect(redactString(`frame ${RAW_FRAME}`)).toBe(`frame ${REDACTED}`);
  });

  it('masks key=value and key: value pairs of credentials and identifiers in free text, and queries without a scheme', () => {
    expect(redactString('retry with token=abc123XYZ failed')).toBe(`retry with token=${REDACTED} failed`);
    expect(redactString('Token: abc123XYZ')).toBe(`Token: ${REDACTED}`);
    expect(redactString('{"sessionId": "0f9e8d7c-1111-11ef-8000-0242ac120002", "status": "ok"}')).toBe(
      `{"sessionId": "${REDACTED}", "status": "ok"}`,
    );
    expect(redactString("apiKey='k-1'; access_token=t-2, x-api-key: k-3")).toBe(`apiKey='${REDACTED}'; access_token=${REDACTED}, x-api-key: ${REDACTED}`);
    expect(redactString('GET /v1/check/result?token=abc&x=1 answered 404')).toBe(`GET /v1/check/result?${REDACTED} answered 404`);
    expect(redactString('fetch files.example/a.png?sig=s3cr3t')).toBe(`fetch files.example/a.png?${REDACTED}`);
  });

  it('leaves ordinary text, paths, hashes and URLs without a query alone', () => {
    const plain = [
      'liveness check 0123456789abcdef0123456789abcdef archived (3 objects, 18 KiB)',
      'GET https://api.kyc.example/kyc/session/status answered 503',
      'at archiveCheck (/var/task/index.mjs:1:2345)',
      'sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'is the provider up? retrying in 3 s',
      'tokens rotated: 2 of 3 accepted',
    ];
    for (const text of plain) expect(redactString(text)).toBe(text);
  });
});

describe('isSensitiveKey', () => {
  it('matches the listed keys in any case and separator style, and credential suffixes', () => {
    for (const key of ['checkId', 'CHECK_ID', 'token', 'clientKey', 'client-key', 'apiKey', 'x-api-key', 'Authorization',
      'jwt', 'name', 'firstName', 'first_name', 'lastName', 'dateOfBirth', 'date-of-birth', 'dob', 'email', 'wallet',
      'image', 'imagesFull', 'ocr', 'accessToken', 'clientSecret', 'dbPassword', 'id', 'ID', 'sessionId', 'session_id',
      'tokens', 'refreshTokens', 'checkIds']) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
  });

  it('keeps the correlation and diagnostic keys', () => {
    for (const key of ['provider', 'checkRef', 'executionName', 'executionArn', 'functionName', 'stateName', 'status',
      'statusCode', 'reason', 'issues', 'path', 'code', 'clientKeyHash', 'attempt', 'waitSeconds', 'imagesMissing']) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });
});

describe('redact', () => {
  it('masks arrays under a sensitive key whole (tokens, ids)', () => {
    expect(redact({ tokens: ['t1', 't2'], ids: ['a'], nested: { id: 7, sessionId: 'uuid' } })).toEqual({
      tokens: REDACTED,
      ids: REDACTED,
      nested: { id: REDACTED, sessionId: REDACTED },
    });
  });

  it('masks at any depth, keeps the shape, cuts cycles', () => {
    const cyclic: Record<string, unknown> = { provider: 'liveness', token: TOKEN };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ provider: 'liveness', token: REDACTED, self: '[Circular]' });
    expect(redact({ list: [{ email: 'ada@example.com' }, 'plain'], n: 1, nothing: null })).toEqual({
      list: [{ email: REDACTED }, 'plain'],
      n: 1,
      nothing: null,
    });
    expect(redact({ bytes: Buffer.from('image bytes') })).toEqual({ bytes: REDACTED });
  });

  it('never lets a value under a sensitive key through, wherever it sits (property)', () => {
    const sensitive = fc.constantFrom('checkId', 'token', 'clientKey', 'apiKey', 'authorization', 'jwt', 'name',
      'firstName', 'lastName', 'dateOfBirth', 'dob', 'email', 'wallet', 'image', 'imagesFull', 'ocr');
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `S3CR3T${s}`);
    fc.assert(
      fc.property(sensitive, secret, fc.integer({ min: 0, max: 6 }), fc.constantFrom('raw', 'nested', 'array'), (key, value, depth, shape) => {
        let node: unknown = { [key]: shape === 'raw' ? value : shape === 'nested' ? { inner: value } : [value] };
        for (let i = 0; i < depth; i++) node = i % 2 ? [node] : { level: node, other: 'x' };
        expect(JSON.stringify(redact(node))).not.toContain(value);
      }),
    );
  });
});

describe('shared logger (lambdas/common/powertools.ts)', () => {
  afterEach(() => logger.resetKeys());

  it('emits JSON lines without any secret or personal value, at any depth, in messages and errors too', () => {
    const cause = new Error(`upstream said no for ${`https://api.example/v1?token=${TOKEN}`}`);
    const error = new ProviderUnavailableError(`request with Bearer ${JWT} failed`, { statusCode: 503 }, { cause });
    const lines = captureLines(() => {
      logger.appendKeys({ provider: 'liveness', checkRef: 'abcdefabcdefabcdefabcdefabcdef12', token: TOKEN });
      logger.info(`polling ${`https://api.liveness.example/v1/status?token=${TOKEN}`}`, leakyPayload());
      logger.warn({ message: 'frame rejected', frame: `data:image/png;base64,${PNG_BASE64}` }, `extra ${JWT}`);
      logger.error('Archive failed', error);
      logger.error('Archive failed again', { error, context: { clientKey: CLIENT_KEY } });
    });

    expect(lines).toHaveLength(4);
    const text = lines.map((line) => JSON.stringify(line)).join('\n');
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
    expect(text).toContain(REDACTED);

    // What an operator needs survives: correlation keys, status codes, the error's name, where it came from.
    const [info, warn, failed, failedAgain] = lines as [Record<string, any>, Record<string, any>, Record<string, any>, Record<string, any>];
    expect(info).toMatchObject({
      level: 'INFO',
      service: 'audit-archiver',
      message: `polling https://api.liveness.example/v1/status?${REDACTED}`,
      provider: 'kyc', // the payload's provider overrides the appended key, as Powertools merges
      checkRef: '0123456789abcdef0123456789abcdef',
      executionName: 'kyc-0123456789abcdef0123456789abcdef',
      statusCode: 503,
      token: REDACTED,
      check: { provider: 'liveness', checkId: REDACTED, clientKey: REDACTED },
      request: { headers: { Authorization: REDACTED, 'x-api-key': REDACTED, accept: 'application/json' } },
    });
    expect(info.session.tasks[0].person).toEqual({ first_name: REDACTED, LastName: REDACTED, 'date-of-birth': REDACTED, dob: REDACTED });
    expect(info.session.tasks[0].type).toBe('document');
    expect(warn).toMatchObject({ frame: `data:image/png;base64,${REDACTED}`, extra: `extra ${REDACTED}` });
    expect(failed.error).toMatchObject({
      name: 'ProviderUnavailableError',
      message: `request with Bearer ${REDACTED} failed`,
      details: { statusCode: 503 },
      cause: { name: 'Error', message: `upstream said no for https://api.example/v1?${REDACTED}` },
    });
    expect(typeof failed.error.location).toBe('string');
    expect(failedAgain).toMatchObject({ error: { name: 'ProviderUnavailableError' }, context: { clientKey: REDACTED } });
  });

  it('redacts in every logger createLogger builds, not only the shared one', () => {
    const own = createLogger({ serviceName: 'audit-archiver-cli' });
    const [line] = captureLines(() => own.info('check', { checkId: TOKEN, provider: 'liveness' }));
    expect(line).toMatchObject({ service: 'audit-archiver-cli', checkId: REDACTED, provider: 'liveness' });
  });
});
