/**
 * The small JSONPath subset that ASL data paths use in practice: `$`, `$.a.b`, `$['a b']`, `$.list[0]`.
 * Used to read a Wait state's SecondsPath/TimestampPath (and its InputPath) before aws-local-stepfunctions
 * evaluates them, so the pause can be scaled. Anything outside the subset is reported as unresolved and left to the
 * library, which evaluates it with full JSONPath (and raises the proper States.Runtime error when it fails).
 */

const SEGMENT = /^(?:\.([^.[\]*?()@'"\s]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** Keys of a simple path, or undefined when the path uses anything else (wildcards, filters, `..`, `$$`). */
export function parseSimplePath(path: string): (string | number)[] | undefined {
  if (!path.startsWith('$') || path.startsWith('$$')) return undefined;
  const keys: (string | number)[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) return undefined;
    const [segment, dotName, index, singleQuoted, doubleQuoted] = match;
    keys.push(index !== undefined ? Number(index) : (dotName ?? singleQuoted ?? doubleQuoted ?? ''));
    rest = rest.slice(segment.length);
  }
  return keys;
}

/** The value at `path` in `document`, or undefined when the path is outside the subset or matches nothing. */
export function resolveSimplePath(path: string, document: unknown): unknown {
  const keys = parseSimplePath(path);
  if (!keys) return undefined;
  let current: unknown = document;
  for (const key of keys) {
    if (typeof key === 'number') {
      if (!Array.isArray(current) || key >= current.length) return undefined;
      current = current[key];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}
