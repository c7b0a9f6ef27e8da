/**
 * Who is reading, for the audit events: against AWS the identity the auditor's own credentials resolve to (STS
 * GetCallerIdentity, which needs no permission), for the local archive "local" and the operating-system user.
 */
import { userInfo } from 'node:os';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigurationError } from '../../../lambdas/common/errors';
import type { ConsoleCaller } from './audit-log';

export interface CallerOptions {
  region?: string;
  profile?: string;
  /** Tests: a client whose answers they script. */
  sts?: Pick<STSClient, 'send' | 'destroy'>;
}

export async function callerOf(kind: 'aws' | 'local', options: CallerOptions = {}): Promise<ConsoleCaller> {
  if (kind === 'local') return { userArn: 'local', osUser: osUser() };
  const sts = options.sts ?? new STSClient({ ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Arn) throw new Error('no Arn in the answer');
    return { userArn: identity.Arn, ...(identity.Account ? { accountId: identity.Account } : {}) };
  } catch (error) {
    // The console names its reader in every audit event: without an identity it does not start.
    const name = (error as { name?: unknown })?.name;
    throw new ConfigurationError(`cannot tell who you are on AWS (STS GetCallerIdentity: ${typeof name === 'string' ? name : 'error'}): check your credentials, --profile and --region`);
  } finally {
    if (!options.sts) sts.destroy();
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
