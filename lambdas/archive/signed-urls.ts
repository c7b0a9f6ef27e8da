/**
 * Signed links in what the archive keeps. A provider's answer carries image URLs whose query string is a credential
 * (S3/GCS signatures, CloudFront policies, tokens): useless after it expires, and a way in to the image before. The
 * archive downloads with the answer as received, then keeps the URLs without their query string (scheme, host and
 * path stay: where the image was). URLs without a signature parameter keep their query: it may be evidence.
 */

/** Query parameters that make a URL a credential. */
const SIGNATURE_PARAM =
  /(?:^|&)(?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|token|access_token|key-pair-id|policy|expires|auth|authorization)=/i;

/** The URL without its query string (and fragment) when the query signs it; unchanged otherwise. */
export function withoutSignature(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const fragment = url.indexOf('#', query);
  const params = url.slice(query + 1, fragment < 0 ? undefined : fragment);
  return SIGNATURE_PARAM.test(params) ? url.slice(0, query) : url;
}

/**
 * A URL inside a JSON string of the raw body: `https://` (slashes possibly escaped as `\/`), then anything but a
 * quote, white space or a backslash-escaped quote. Works on latin1 text, so other bytes stay as they were.
 */
const URL_IN_JSON = /https?:(?:\\?\/){2}(?:[^"\s\\]|\\[^"])*/g;

/** The raw answer with every signed URL's query string removed, and how many were. Data URIs are never touched. */
export function stripSignedUrls(body: Buffer): { body: Buffer; count: number } {
  const text = body.toString('latin1');
  let count = 0;
  const stripped = text.replace(URL_IN_JSON, (url) => {
    const plain = withoutSignature(url);
    if (plain !== url) count++;
    return plain;
  });
  return count === 0 ? { body, count } : { body: Buffer.from(stripped, 'latin1'), count };
}

/** A deep copy of a parsed document with every signed URL string stripped (result.json). */
export function withoutSignedUrls(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('http') ? withoutSignature(value) : value;
  if (Array.isArray(value)) return value.map(withoutSignedUrls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutSignedUrls(item)]));
  }
  return value;
}
