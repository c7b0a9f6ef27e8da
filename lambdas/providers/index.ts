/** Provider clients: one status request each, answers normalized to CheckStatus. */
import { ConfigurationError } from '../common/errors';
import type { ProviderName } from '../checks/check-status';
import type { ProviderClientOptions } from './client-options';
import { createKycClient, type KycClient } from './kyc/client';
import { createLivenessClient, type LivenessClient } from './liveness/client';
import { createVerificationClient, type VerificationClient } from './verification/client';

export type { ProviderClientOptions } from './client-options';
export type { KycClient } from './kyc/client';
export type { LivenessClient } from './liveness/client';
export type { VerificationClient } from './verification/client';

export interface ProviderClients {
  liveness: LivenessClient;
  kyc: KycClient;
  verification: VerificationClient;
}

/** Builds one provider's client; throws ConfigurationError on a bad base URL, timeout or size cap. */
export function createProviderClient<P extends ProviderName>(
  provider: P,
  options: ProviderClientOptions,
): ProviderClients[P];
export function createProviderClient(
  provider: ProviderName,
  options: ProviderClientOptions,
): ProviderClients[ProviderName] {
  switch (provider) {
    case 'liveness':
      return createLivenessClient(options);
    case 'kyc':
      return createKycClient(options);
    case 'verification':
      return createVerificationClient(options);
    default:
      throw new ConfigurationError('unknown provider');
  }
}
