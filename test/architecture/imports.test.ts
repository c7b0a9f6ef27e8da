/**
 * The house rules of imports, read from the source: in lambdas/ a folder only imports from folders below it (the
 * check vocabulary at the bottom, the handlers on top), lib/ (the CDK app) never imports the local harness, and no
 * module of lambdas/ or bin/ imports itself through a cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/paths';

/** lambdas/ folders, bottom to top: a folder may import from lower ranks and from itself. */
const RANK: Record<string, number> = {
  checks: 0,
  common: 1,
  providers: 2,
  records: 2,
  events: 2,
  workflow: 2,
  polling: 3,
  archive: 3,
  audit: 4,
  webhooks: 4,
  operations: 4,
  retention: 4,
  handlers: 5,
};

const IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(PROJECT_ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file, as repository paths of the modules they name (extension and /index resolved). */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].flatMap(([, spec]) => {
    const base = normalize(join(dirname(file), spec!));
    const found = [base, `${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
    return found ? [found] : [];
  });
}

describe('imports', () => {
  const lambdas = sources('lambdas');
  const all = new Set([...lambdas, ...sources('bin'), ...sources('lib'), ...sources('local')]);

  it('in lambdas/, every folder imports only from the folders below it', () => {
    const upward: string[] = [];
    for (const file of lambdas) {
      const from = file.split('/')[1]!;
      expect(RANK, `lambdas/${from} has a rank`).toHaveProperty(from);
      for (const target of importsOf(file, all)) {
        const to = target.split('/')[1]!;
        if (target.startsWith('lambdas/') && to !== from && RANK[to]! >= RANK[from]!) upward.push(`${file} → ${target}`);
        if (!target.startsWith('lambdas/')) upward.push(`${file} → ${target} (outside lambdas/)`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('lib/ (the CDK app) never imports the local harness, the CLI or the benchmarks', () => {
    const outward = sources('lib').flatMap((file) => importsOf(file, all).filter((target) => !/^(lib|lambdas)\//.test(target)).map((target) => `${file} → ${target}`));
    expect(outward).toEqual([]);
  });

  it('no module of lambdas/ or bin/ reaches itself through its imports', () => {
    const graph = new Map([...all].filter((file) => /^(lambdas|bin)\//.test(file)).map((file) => [file, importsOf(file, all)]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative('.', f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
