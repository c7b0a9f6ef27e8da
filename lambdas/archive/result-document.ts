/**
 * result.json: the provider's full answer with image data replaced by references to what was archived, so the
 * document stays small and points at the evidence. KYC links keep their URL next to the reference.
 */

/** Path to a value inside the provider's answer, e.g. ['result', 'audit_images', 3, 'image']. */
export type JsonPath = Array<string | number>;

export type ImageReference =
  | { archivedKey: string; sha256: string; url?: string; quarantined?: string }
  | { missing: string; detail: string; url?: string };

export interface Replacement {
  path: JsonPath;
  value: ImageReference;
}

/** A deep copy of `answer` with each path replaced; paths that do not exist in the answer are ignored. */
export function documentWithReferences(answer: unknown, replacements: Replacement[]): unknown {
  const copy: unknown = answer === undefined ? null : structuredClone(answer);
  for (const { path, value } of replacements) {
    if (path.length === 0) continue;
    let node: unknown = copy;
    for (const step of path.slice(0, -1)) {
      node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[step] : undefined;
    }
    const last = path[path.length - 1]!;
    if (node !== null && typeof node === 'object' && last in node) {
      (node as Record<string | number, unknown>)[last] = value;
    }
  }
  return copy;
}
