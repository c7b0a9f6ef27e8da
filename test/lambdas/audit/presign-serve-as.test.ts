/**
 * What presigned URLs make S3 answer with: always an attachment, with the type the archive recorded when it is an
 * image or JSON, else octet-stream — whatever the object was stored with. A polyglot (PNG magic bytes, then HTML) or a
 * quarantined HTML item is never rendered inline when its URL is opened.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignGetObject, servedTypeOf } from '../../../lambdas/audit';
import { startEmulators, type Emulators } from '../../../local/emulators';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const POLYGLOT = Buffer.concat([PNG_MAGIC, Buffer.from('<html><script>alert(1)</script></html>')]);

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
  const s3 = emulators.s3Client();
  // What a quarantined item can be: HTML a browser would run if it were shown inline.
  await s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: 'p/quarantine/0.bin', Body: '<script>alert(1)</script>', ContentType: 'text/html' }));
  await s3.send(new PutObjectCommand({ Bucket: emulators.bucketName, Key: 'p/frames/0.png', Body: POLYGLOT, ContentType: 'image/png' }));
  s3.destroy();
});
afterAll(async () => {
  await emulators?.close();
});

describe('presignGetObject serves every object as an attachment', () => {
  it('a quarantined item: attachment and octet-stream signed into the URL, and S3 answers with them', async () => {
    const s3 = emulators.s3Client();
    const url = new URL(await presignGetObject(s3, emulators.bucketName, 'p/quarantine/0.bin', 60, { fileName: '0 "x".bin' }));
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

  it('an image keeps its recorded type but is still an attachment: a polyglot never opens as a page', async () => {
    const s3 = emulators.s3Client();
    const url = new URL(await presignGetObject(s3, emulators.bucketName, 'p/frames/0.png', 60, { contentType: 'image/png', fileName: '0.png' }));
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="0.png"');
    expect(Buffer.from(await response.arrayBuffer()).equals(POLYGLOT)).toBe(true);
    s3.destroy();
  });

  it('without options, or with a type that renders (HTML, SVG, XML), the object is an octet-stream attachment', async () => {
    const s3 = emulators.s3Client();
    for (const contentType of [undefined, 'text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml; charset=utf-8']) {
      const url = new URL(await presignGetObject(s3, emulators.bucketName, 'p/quarantine/0.bin', 60, contentType ? { contentType } : {}));
      const response = await fetch(url);
      expect(response.headers.get('content-type'), String(contentType)).toBe('application/octet-stream');
      expect(response.headers.get('content-disposition')).toBe('attachment');
      await response.arrayBuffer();
    }
    s3.destroy();
  });
});

describe('servedTypeOf', () => {
  it('keeps recognized image types and JSON (parameters dropped, case folded), nothing else', () => {
    expect(servedTypeOf('image/JPEG')).toBe('image/jpeg');
    expect(servedTypeOf('application/json; charset=utf-8')).toBe('application/json');
    expect(servedTypeOf('image/svg+xml')).toBe('application/octet-stream');
    expect(servedTypeOf('text/html')).toBe('application/octet-stream');
    expect(servedTypeOf('')).toBe('application/octet-stream');
    expect(servedTypeOf(undefined)).toBe('application/octet-stream');
  });
});
