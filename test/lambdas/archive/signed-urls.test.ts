import { describe, expect, it } from 'vitest';
import { stripSignedUrls, withoutSignature, withoutSignedUrls } from '../../../lambdas/archive/signed-urls';

const S3 =
  'https://bucket.s3.eu-west-1.amazonaws.com/kyc/doc_0.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260319%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260319T103000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc123';
const GCS = 'https://storage.googleapis.com/b/o.jpg?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=x&X-Goog-Signature=def';
const CLOUDFRONT = 'https://d111.cloudfront.net/i/selfie.jpg?Expires=1773916200&Signature=abc~def&Key-Pair-Id=K2JCJMDEHXQW5F';
const TOKEN = 'https://api.example.com/images/kycfull/s/document_0_0.jpg?token=eyJhbGciOi.abc.def';
const AZURE = 'https://acct.blob.core.windows.net/c/b.jpg?sv=2022-11-02&se=2026-03-19T11%3A00%3A00Z&sr=b&sp=r&sig=xyz%3D';

describe('withoutSignature', () => {
  it('drops the query string (and fragment) of URLs signed by S3, GCS, CloudFront, Azure SAS or a token', () => {
    expect(withoutSignature(S3)).toBe('https://bucket.s3.eu-west-1.amazonaws.com/kyc/doc_0.jpg');
    expect(withoutSignature(GCS)).toBe('https://storage.googleapis.com/b/o.jpg');
    expect(withoutSignature(CLOUDFRONT)).toBe('https://d111.cloudfront.net/i/selfie.jpg');
    expect(withoutSignature(TOKEN)).toBe('https://api.example.com/images/kycfull/s/document_0_0.jpg');
    expect(withoutSignature(AZURE)).toBe('https://acct.blob.core.windows.net/c/b.jpg');
    expect(withoutSignature(`${TOKEN}#page`)).toBe('https://api.example.com/images/kycfull/s/document_0_0.jpg');
  });

  it('keeps URLs without a signature parameter whole: their query may be evidence', () => {
    for (const url of ['https://api.example.com/images/kyc/s/document_0/0', 'https://h.example/i.jpg?page=2&size=full', 'https://h.example/i.jpg?designation=x']) {
      expect(withoutSignature(url)).toBe(url);
    }
  });
});

describe('stripSignedUrls (the raw answer)', () => {
  it('rewrites only the signed URLs in JSON strings, escaped slashes included, and counts them', () => {
    const body = Buffer.from(
      JSON.stringify({ imagesFull: [S3, 'https://h.example/plain.jpg?page=2'], faceSelfie: CLOUDFRONT, note: 'no url here' }).replace(
        'https://d111',
        'https:\\/\\/d111',
      ),
    );
    const { body: out, count } = stripSignedUrls(body);
    expect(count).toBe(2);
    expect(JSON.parse(out.toString('utf8'))).toEqual({
      imagesFull: ['https://bucket.s3.eu-west-1.amazonaws.com/kyc/doc_0.jpg', 'https://h.example/plain.jpg?page=2'],
      faceSelfie: 'https://d111.cloudfront.net/i/selfie.jpg',
      note: 'no url here',
    });
  });

  it('returns the very same bytes when nothing is signed, and leaves bytes that are not UTF-8 as they were', () => {
    const plain = Buffer.from('{"a":"https://h.example/x.jpg"}');
    expect(stripSignedUrls(plain).body).toBe(plain);
    const odd = Buffer.concat([Buffer.from('{"u":"'), Buffer.from(TOKEN), Buffer.from('","n":"'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')]);
    const { body, count } = stripSignedUrls(odd);
    expect(count).toBe(1);
    expect(body.subarray(body.length - 5)).toEqual(Buffer.concat([Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')]));
  });

  it('never touches a data URI (base64 has no scheme separator)', () => {
    const body = Buffer.from(JSON.stringify({ image: 'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==' }));
    expect(stripSignedUrls(body)).toEqual({ body, count: 0 });
  });
});

describe('withoutSignedUrls (result.json)', () => {
  it('strips signed URL strings at any depth and keeps everything else', () => {
    expect(withoutSignedUrls({ a: [TOKEN, { url: S3, archivedKey: 'k' }], n: 1, t: 'text?token=x', nil: null })).toEqual({
      a: ['https://api.example.com/images/kycfull/s/document_0_0.jpg', { url: 'https://bucket.s3.eu-west-1.amazonaws.com/kyc/doc_0.jpg', archivedKey: 'k' }],
      n: 1,
      t: 'text?token=x',
      nil: null,
    });
  });
});
