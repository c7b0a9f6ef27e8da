/**
 * The replay sealer the environment names: KMS (DEAD_LETTER_KEY_ARN, the stack's dead-letter key) or, in local mode
 * only, a local master key (DEAD_LETTER_LOCAL_KEY, base64 of 32 bytes; local mode has no KMS).
 */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Env } from '../common/environment';
import { ConfigurationError } from '../common/errors';
import { aad, createLocalSealer, decrypt, encrypt, type ReplaySealer } from './dead-letters';

export function createKmsSealer(kms: Pick<KMSClient, 'send'>, keyId: string): ReplaySealer {
  return {
    async seal(plaintext, context) {
      const key = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
      if (!key.Plaintext || !key.CiphertextBlob) throw new ConfigurationError('KMS GenerateDataKey returned no key');
      const dataKey = Buffer.from(key.Plaintext);
      try {
        return { alg: 'AES-256-GCM', encryptedKey: Buffer.from(key.CiphertextBlob).toString('base64'), ...encrypt(dataKey, plaintext, aad(context)) };
      } finally {
        dataKey.fill(0);
      }
    },
    async open(blob, context) {
      const key = await kms.send(
        new DecryptCommand({ KeyId: keyId, CiphertextBlob: Buffer.from(blob.encryptedKey, 'base64'), EncryptionContext: context }),
      );
      if (!key.Plaintext) throw new ConfigurationError('KMS Decrypt returned no key');
      const dataKey = Buffer.from(key.Plaintext);
      try {
        return decrypt(dataKey, blob, aad(context));
      } finally {
        dataKey.fill(0);
      }
    },
  };
}

export function sealerFromEnv(env: Env, kms: () => Pick<KMSClient, 'send'> = () => new KMSClient({})): ReplaySealer {
  if (env.DEAD_LETTER_KEY_ARN) return createKmsSealer(kms(), env.DEAD_LETTER_KEY_ARN);
  if (env.DEAD_LETTER_LOCAL_KEY) return createLocalSealer(Buffer.from(env.DEAD_LETTER_LOCAL_KEY, 'base64'));
  throw new ConfigurationError('DEAD_LETTER_KEY_ARN is not set');
}
