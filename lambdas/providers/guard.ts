import type { CredentialSource } from '../common/credentials';
import { ArchiverError, ProviderAuthError, ProviderContractError } from '../common/errors';
import type { ProviderName } from '../checks/check-status';

/**
 * Runs a client call so that only ArchiverErrors escape. Anything else is a bug in the mapping, reported by its
 * error type only (its message could quote a body or a token). A refused credential is dropped from the source's
 * cache, so a retry after a secret rotation uses the new one.
 */
export async function guardUntyped<T>(provider: ProviderName, run: () => Promise<T>, credentials?: CredentialSource): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ProviderAuthError) credentials?.invalidate?.(provider);
    if (err instanceof ArchiverError) throw err;
    const type = err instanceof Error ? err.name : typeof err;
    throw new ProviderContractError(`${provider}: unexpected ${type} while handling the provider's answer`);
  }
}
