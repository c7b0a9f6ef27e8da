import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { presignGetObject } from '../../../lambdas/audit/presign';
import { createS3Client } from '../../../lambdas/archive/s3-store';

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+x' };

/** An independent SigV4 query-string signature (AWS docs, "Authenticating Requests: Using Query Parameters"). */
function expectedSignature(url: URL, secretAccessKey: string, region: string): string {
  const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const params = [...url.searchParams.entries()].filter(([name]) => name !== 'X-Amz-Signature');
  const query = params
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonical = ['GET', url.pathname, query, `host:${url.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const scope = `${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, amzDate.slice(0, 8)), region), 's3'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('presignGetObject', () => {
  it('signs a virtual-hosted GET with the client credentials, host as the only signed header', async () => {
    const client = createS3Client({ region: 'eu-west-1', credentials: CREDENTIALS });
    const key = '01/kyc/0123456789abcdef0123456789abcdef/kyc/0-document/0.jpg';
    const url = new URL(await presignGetObject(client, 'evidence-bucket', key, 120));
    client.destroy();
    expect(url.origin).toBe('https://evidence-bucket.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe(`/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(CREDENTIALS.sessionToken);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, CREDENTIALS.secretAccessKey, 'eu-west-1'));
  });

  it('escapes keys and uses path style with a custom endpoint; expiry is clamped to 1 s … 1 h', async () => {
    const client = createS3Client({ endpoint: 'http://127.0.0.1:4569', region: 'us-east-1', credentials: CREDENTIALS });
    const url = new URL(await presignGetObject(client, 'local-bucket', 'a b+c/d.json', 99_999));
    client.destroy();
    expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:4569/local-bucket/a%20b%2Bc/d.json');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, CREDENTIALS.secretAccessKey, 'us-east-1'));
  });

  it('a different secret gives a different signature (the reference can fail)', async () => {
    const client = createS3Client({ region: 'eu-west-1', credentials: CREDENTIALS });
    const url = new URL(await presignGetObject(client, 'b', 'k', 60));
    client.destroy();
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(expectedSignature(url, 'another-secret', 'eu-west-1'));
  });
});
