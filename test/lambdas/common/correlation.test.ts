import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withCheckKeys } from '../../../lambdas/common/correlation';
import { createLogger } from '../../../lambdas/common/powertools';

/** Powertools writes JSON lines to stdout (info) and stderr (warn, error). */
const chunks: string[] = [];
const capture = (chunk: unknown) => {
  chunks.push(String(chunk));
  return true;
};
const lines = () => chunks.join('').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
beforeEach(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
});
afterEach(() => {
  vi.restoreAllMocks();
  chunks.length = 0;
});

describe('withCheckKeys', () => {
  it('tags every line of one invocation with provider and checkRef, never the check id, and drops them after', async () => {
    const logger = createLogger();
    const check = { provider: 'liveness', checkId: 'tok_secret_123', checkRef: 'a'.repeat(32) };
    await withCheckKeys(logger, { check }, async () => {
      logger.warn('image not archived', { stem: 'frames/001' });
    });
    logger.warn('after');
    expect(lines()[0]).toMatchObject({ message: 'image not archived', provider: 'liveness', checkRef: 'a'.repeat(32) });
    expect(JSON.stringify(lines())).not.toContain('tok_secret_123');
    expect(lines()[1]).not.toHaveProperty('checkRef');
  });

  it('adds nothing it cannot vouch for (an unknown provider, a checkRef that is not a hash)', async () => {
    const logger = createLogger();
    await withCheckKeys(logger, { check: { provider: 'passport', checkRef: 'eyJhbGciOi.secret' } }, async () => logger.warn('x'));
    expect(lines()[0]).not.toHaveProperty('provider');
    expect(lines()[0]).not.toHaveProperty('checkRef');
  });

  it('drops the keys when the invocation fails too', async () => {
    const logger = createLogger();
    const failing = withCheckKeys(logger, { check: { provider: 'kyc', checkRef: 'b'.repeat(32) } }, async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    logger.warn('next');
    expect(lines()[0]).not.toHaveProperty('checkRef');
  });
});
