/**
 * presignGetObject's download option: what the console (and show) hand out for items kept in quarantine. The URL
 * itself makes S3 answer with attachment and application/octet-stream, whatever the object was stored as.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignGetObject } from '../../../lambdas/audit';
import { startEmulators, type Emulators } from '../../../local/emulators';

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
  const s3 = emulators.s3Client();
  // What a quarantined item can be: HTML a browser would run if it were shown inline.
  await s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: 'p/quarantine/0.bin', Body: '<script>alert(1)</script>', ContentType: 'text/html' }));
  s3.destroy();
});
afterAll(async () => {
  await emulators?.close();
});

describe('presignGetObject download option', () => {
  it('signs response-content-disposition attachment and octet-stream into the URL, and S3 answers with them', async () => {
    const s3 = emulators.s3Client();
    const url = new URL(await presignGetObject(s3, emulators.bucketName, 'p/quarantine/0.bin', 60, { download: { fileName: '0 "x".bin' } }));
    expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="0__x_.bin"');
    expect(url.searchParams.get('response-content-type')).toBe('application/octet-stream');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="0__x_.bin"');
    expect(await response.text()).toBe('<script>alert(1)</script>');
    // SigV4 signs the whole query string (presign.test.ts checks the signature against an independent reference).
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    s3.destroy();
  });

  it('without the option the object comes with the type it was stored with', async () => {
    const s3 = emulators.s3Client();
    const url = new URL(await presignGetObject(s3, emulators.bucketName, 'p/quarantine/0.bin', 60));
    expect(url.searchParams.has('response-content-disposition')).toBe(false);
    expect((await fetch(url)).headers.get('content-type')).toBe('text/html');
    s3.destroy();
  });
});
