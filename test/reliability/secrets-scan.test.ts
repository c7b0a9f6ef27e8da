/**
 * The leak scan itself must be able to fail: what the suite's log capture and secret registry find when a secret
 * does reach a log line, and what they must not flag.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lambdas/common/powertools';
import { LOCAL_PROVIDER_CREDENTIALS } from '../../local/fake-providers';
import { captureOutput } from '../../local/reliability/log-capture';
import { SecretRegistry } from '../../local/reliability/secrets';
import { makeJpeg } from '../support/images';

const TOKEN = 'Zx9_liveness-token-4f1d2e3c5b6a7980';

function registry(): SecretRegistry {
  const secrets = new SecretRegistry();
  secrets.add('liveness token', TOKEN);
  secrets.addCredentials(LOCAL_PROVIDER_CREDENTIALS);
  secrets.addText('Reported by jane.roe+1a2b3c@example.test, wallet 0x00112233445566778899aabbccddeeff00112233.');
  secrets.add('ocr value', '123456789');
  secrets.addImage(makeJpeg(32, 32, 11));
  return secrets;
}

describe('log capture and secret scan', () => {
  it('finds a token, a credential, an email and image bytes that reach stdout or stderr', () => {
    const capture = captureOutput();
    try {
      process.stdout.write(`polling ${TOKEN}\n`);
      process.stderr.write(`auth ${LOCAL_PROVIDER_CREDENTIALS.kycJwt}\n`);
      console.warn('contact %s', 'jane.roe+1a2b3c@example.test');
      process.stdout.write(`frame ${makeJpeg(32, 32, 11).toString('base64')}\n`);
    } finally {
      capture.stop();
    }
    const kinds = registry().scanLines(capture.lines()).map((leak) => leak.kind).sort();
    expect(kinds).toEqual(['credential', 'email', 'image bytes', 'image bytes', 'image bytes', 'liveness token']);
  });

  it('finds what the handlers\' logger writes under a key it does not know to mask, and nothing it masks', () => {
    const logger = createLogger({ serviceName: 'issue6-scan' });
    const capture = captureOutput();
    try {
      logger.info('masked', { checkId: TOKEN, email: 'jane.roe+1a2b3c@example.test', image: `data:image/jpeg;base64,${makeJpeg(32, 32, 11).toString('base64')}` });
      logger.info('not masked', { note: TOKEN });
    } finally {
      capture.stop();
    }
    expect(capture.structuredLines()).toBe(2);
    expect(registry().scanLines(capture.lines())).toEqual([{ kind: 'liveness token', where: 'log line 2' }]);
  });

  it('does not flag a number that merely contains a document number', () => {
    expect(registry().scanLines(['bytes 91234567890', 'id 123456789x'])).toEqual([]);
    expect(registry().scanLines(['document "123456789"'])).toEqual([{ kind: 'ocr value', where: 'log line 1' }]);
  });
});
