import type { ProviderName } from '../providers/check-status';

/**
 * Where a provider client gets its secret from. Locally an environment variable, in AWS Secrets Manager
 * (wired by the stack). Implementations cache, and never log the value.
 */
export interface CredentialSource {
  get(provider: ProviderName): Promise<string>;
}
