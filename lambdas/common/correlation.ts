/**
 * Correlation for the workflow functions' logs: every line of one invocation carries the check's provider and
 * checkRef (the hash, never the check id), so one check can be followed across functions and retries.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { PROVIDERS } from '../checks/check-status';

const KEYS = ['provider', 'checkRef'];

export async function withCheckKeys<T>(logger: Pick<Logger, 'appendKeys' | 'removeKeys'>, event: unknown, run: () => Promise<T>): Promise<T> {
  const check = (event as { check?: { provider?: unknown; checkRef?: unknown } } | null)?.check;
  const provider = typeof check?.provider === 'string' && (PROVIDERS as readonly string[]).includes(check.provider) ? check.provider : undefined;
  const checkRef = typeof check?.checkRef === 'string' && /^[0-9a-f]{32}$/.test(check.checkRef) ? check.checkRef : undefined;
  logger.appendKeys({ ...(provider ? { provider } : {}), ...(checkRef ? { checkRef } : {}) });
  try {
    return await run();
  } finally {
    logger.removeKeys(KEYS);
  }
}
