import { describe, expect, it } from 'vitest';
import { SCRUBBED, answerOf, scrubBody } from '../../../lambdas/providers/answer';

describe('scrubBody', () => {
  const token = 'tok_5ecret_7c9a';
  const scrub = (text: string) => {
    const { body, count } = scrubBody(Buffer.from(text, 'utf8'), token);
    return { text: body.toString('utf8'), count };
  };

  it('replaces the secret in every string and key, and leaves every other byte as it was', () => {
    const text = `{"status":"failed", "id":"${token}","message":"no session ${token}","nested":[{"${token}":1,"ok":"x"}],"n":3}`;
    const { text: kept, count } = scrub(text);
    expect(count).toBe(3);
    expect(kept).not.toContain(token);
    expect(kept).toBe(text.split(token).join(SCRUBBED));
  });

  it('replaces the percent-encoded form too (a token echoed in a URL)', () => {
    const weird = 'tok/with+odd=';
    const text = JSON.stringify({ link: `https://x/y?token=${encodeURIComponent(weird)}` });
    const { body, count } = scrubBody(Buffer.from(text), weird);
    expect(count).toBe(1);
    expect(body.toString()).not.toContain(encodeURIComponent(weird));
  });

  it('never rewrites image data URIs (a match inside base64 is a coincidence)', () => {
    const text = JSON.stringify({ image: `data:image/jpeg;base64,AAAA${token}AAAA` });
    expect(scrub(text)).toEqual({ text, count: 0 });
  });

  it('leaves a body without the secret the very same buffer, bytes that are not UTF-8 included', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    expect(scrubBody(bytes, token).body).toBe(bytes);
    const withToken = Buffer.concat([bytes, Buffer.from(token)]);
    const { body } = scrubBody(withToken, token);
    expect(body.subarray(0, 5).equals(bytes)).toBe(true);
  });
});

describe('answerOf', () => {
  it('keeps status, content type and body as received; json is the parsed (scrubbed) body', () => {
    const response = { status: 410, headers: new Headers({ 'content-type': 'application/json\u0007' }), body: Buffer.from('{"token":"abc"}'), bodyText: '{"token":"abc"}', json: { token: 'abc' } };
    const answer = answerOf(response, new Date('2026-03-19T10:00:00Z'), 'abc');
    expect(answer).toEqual({
      httpStatus: 410,
      contentType: 'application/json',
      body: Buffer.from(`{"token":"${SCRUBBED}"}`),
      json: { token: SCRUBBED },
      receivedAt: '2026-03-19T10:00:00.000Z',
      scrubbed: 1,
    });
  });
});
