/**
 * Removes a secret the provider echoed back (a liveness token in an `id` field, say) from an answer that will be
 * kept, so the archive never stores a bearer credential. Image data URIs are left alone: a token found inside base64
 * would be a coincidence, and rewriting it would corrupt the image.
 */
export const SCRUBBED = '[redacted: check token]';

export function scrubSecret<T>(value: T, secret: string): T {
  if (secret === '') return value;
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.startsWith('data:') || !node.includes(secret) ? node : node.split(secret).join(SCRUBBED);
    }
    if (Array.isArray(node)) return node.map(visit);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key.includes(secret) ? key.split(secret).join(SCRUBBED) : key, visit(child)]));
    }
    return node;
  };
  return visit(value) as T;
}
