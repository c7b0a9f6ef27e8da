import { expect } from 'vitest';
import type { CredentialSource } from '../../../../lambdas/common/credentials';
import { ArchiverError } from '../../../../lambdas/common/errors';
import type { ProviderName } from '../../../../lambdas/checks/check-status';

/** Fixed credentials for tests (an in-memory source; production uses env or Secrets Manager). */
export function staticCredentials(values: Partial<Record<ProviderName, string>>): CredentialSource & { calls: number } {
  const source = {
    calls: 0,
    async get(provider: ProviderName) {
      source.calls += 1;
      const value = values[provider];
      if (value === undefined) throw new Error(`test: no credential for ${provider}`);
      return value;
    },
  };
  return source;
}

/** Awaits a rejection and returns the error, failing the test if the promise resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise;
    expect.fail(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 200)}`);
  } catch (err) {
    return err;
  }
}

/** Asserts an ArchiverError of the given name and retryability whose message and stack hold none of `secrets`. */
export function expectTypedError(
  err: unknown,
  name: string,
  retryable: boolean,
  secrets: readonly string[] = [],
): ArchiverError {
  expect(err).toBeInstanceOf(ArchiverError);
  const typed = err as ArchiverError;
  expect(typed.name).toBe(name);
  expect(typed.retryable).toBe(retryable);
  expectNoSecrets(typed, secrets);
  return typed;
}

export function expectNoSecrets(err: Error, secrets: readonly string[]): void {
  const text = [err.message, err.stack ?? '', JSON.stringify({ ...err }), String(err.cause ?? '')].join('\n');
  for (const secret of secrets) expect(text).not.toContain(secret);
}
