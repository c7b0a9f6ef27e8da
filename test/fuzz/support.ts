/**
 * Fuzzing helpers: near-misses of valid inputs (a valid document with a few keys deleted, retyped, nulled, replaced
 * by arbitrary JSON or by a canary string), and the one assertion every parser and guard must satisfy — it returns a
 * value or throws a typed ArchiverError whose message names paths and rules, never the input's values.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ArchiverError } from '../../lambdas/common/errors';

/** Planted in inputs: an error message that quotes it quotes input values. */
export const CANARY = 'CANARY-9f3b2d7e';

type Path = Array<string | number>;
type Op = { at: number; op: 'delete' | 'replace' | 'null' | 'retype' | 'canary' | 'empty' | 'wrap'; value: unknown };

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  return out;
}

function retype(value: unknown): unknown {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, i) => [String(i), item]));
  if (value !== null && typeof value === 'object') return Object.values(value);
  return {};
}

function apply(root: unknown, { at, op, value }: Op): unknown {
  const paths = pathsOf(root);
  const path = paths[at % paths.length]!;
  const replace = (current: unknown): unknown => {
    switch (op) {
      case 'delete':
        return undefined;
      case 'replace':
        return value;
      case 'null':
        return null;
      case 'retype':
        return retype(current);
      case 'canary':
        return CANARY;
      case 'empty':
        return Array.isArray(current) ? [] : typeof current === 'string' ? '' : {};
      case 'wrap':
        return [current];
    }
  };
  if (path.length === 0) return op === 'delete' ? undefined : replace(root);
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const next = replace(parent[key]);
  if (next === undefined) {
    if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
    else delete parent[key];
  } else parent[key] = next;
  return root;
}

/** `base` with one to four mutations at random places. */
export function nearMiss(base: unknown): fc.Arbitrary<unknown> {
  const op = fc.record({
    at: fc.nat(),
    op: fc.constantFrom<Op['op']>('delete', 'replace', 'null', 'retype', 'canary', 'empty', 'wrap'),
    value: fc.jsonValue({ maxDepth: 2 }),
  });
  return fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => ops.reduce<unknown>((doc, o) => apply(doc, o), structuredClone(base)));
}

/** JSON text of `base` cut short (a connection reset mid-body that slipped past the length check). */
export function truncatedJson(base: unknown): fc.Arbitrary<string> {
  const text = JSON.stringify(base);
  return fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n));
}

/**
 * Runs `fn`: a value is fine; an exception must be an ArchiverError (a subclass with a literal name, retryable
 * decided) whose message does not quote the canary. Returns the value or the error.
 */
export function typedOrValue<T>(fn: () => T, allowed: ReadonlyArray<abstract new (...args: never[]) => Error> = [ArchiverError]): { value?: T; error?: Error } {
  try {
    return { value: fn() };
  } catch (error) {
    expectTyped(error, allowed);
    return { error: error as Error };
  }
}

export async function typedOrValueAsync<T>(fn: () => Promise<T>, allowed: ReadonlyArray<abstract new (...args: never[]) => Error> = [ArchiverError]): Promise<{ value?: T; error?: Error }> {
  try {
    return { value: await fn() };
  } catch (error) {
    expectTyped(error, allowed);
    return { error: error as Error };
  }
}

function expectTyped(error: unknown, allowed: ReadonlyArray<abstract new (...args: never[]) => Error>): void {
  if (!allowed.some((type) => error instanceof type)) {
    throw new Error(`untyped error: ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
  }
  const { name, message } = error as Error;
  expect(name).toMatch(/^[A-Z][A-Za-z]+Error$/);
  expect(message).not.toContain(CANARY);
  if (error instanceof ArchiverError) expect(typeof error.retryable).toBe('boolean');
}
