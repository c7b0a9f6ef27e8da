import { describe, expect, it } from 'vitest';
import { SCRUBBED, scrubSecret } from '../../../lambdas/providers/scrub';

describe('scrubSecret', () => {
  const token = 'tok_5ecret_7c9a';

  it('replaces the secret in every string and key at any depth, and leaves the rest as it was', () => {
    const answer = { status: 'failed', id: token, message: `no session ${token}`, nested: [{ [token]: 1, ok: 'x' }], n: 3, b: null };
    expect(scrubSecret(answer, token)).toEqual({
      status: 'failed',
      id: SCRUBBED,
      message: `no session ${SCRUBBED}`,
      nested: [{ [SCRUBBED]: 1, ok: 'x' }],
      n: 3,
      b: null,
    });
    expect(JSON.stringify(scrubSecret(answer, token))).not.toContain(token);
  });

  it('never rewrites image data URIs (a match inside base64 is a coincidence)', () => {
    const frame = `data:image/jpeg;base64,AAAA${token}AAAA`;
    expect(scrubSecret({ image: frame }, token)).toEqual({ image: frame });
  });

  it('does nothing for an empty secret', () => {
    const answer = { a: 'b' };
    expect(scrubSecret(answer, '')).toBe(answer);
  });
});
