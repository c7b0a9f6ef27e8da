/**
 * The suite's figures: per scenario, what went in (checks, events, faults) and what the invariant checker and the log
 * scan found (records and objects verified; lost, duplicated, untruthful, leaked). Each run writes its scenarios to
 * one JSON file in the results directory; docs-section.ts turns all of them into the figures of docs/reliability.md.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths';

export interface ScenarioFigures {
  scenario: string;
  /** Checks scripted at the providers and delivered as events. */
  checks: number;
  /** Events delivered: duplicates and invalid events included. */
  events: number;
  /** Workflows that ran (one per check, however often its event came; plus hand-started ones). */
  workflows: number;
  /** Faults injected: fault answers, bad frames and links, extra deliveries, invalid inputs, storage faults. */
  faults: number;
  /** Checks per fault kind. */
  kinds: Record<string, number>;
  /** Records the invariant checker verified (one per check is the promise). */
  records: number;
  /** Archived objects read back and matched against their manifest's sha256 and size. */
  objects: number;
  bytes: number;
  /** Record statuses, counted. */
  statuses: Record<string, number>;
  /** Why images are missing (the records' imagesMissing reasons), counted per check. */
  missing: Record<string, number>;
  /** Why items were kept in quarantine (the records' quarantined reasons), counted per check. */
  quarantined?: Record<string, number>;
  /** Invalid events rejected (dead-lettered) and malformed states refused. */
  rejected: number;
  /** Executions re-run after a crash, and the orphan objects the crash had left before the re-run. */
  reruns?: number;
  orphansBeforeRerun?: number;
  /** Concurrent runs and reconcile at volume: what was started beside the checks and what reconcile did. */
  recovery?: { concurrentRuns: number; reconcileRuns: number; redriven: number; retried: number; restarted: number; notDue: number };
  /** Records `verify` (the auditors' check of a record against its manifest and objects) passed. */
  verified?: number;
  /** Checks without their record, or whose objects are missing or altered. */
  lost: number;
  /** Extra records, extra workflows, objects listed twice, orphan objects. */
  duplicated: number;
  /** Records whose status is not the one the check's path must give, or that disagree with their manifest. */
  untruthful: number;
  /** Secrets found in logs or dead letters. */
  leaked: number;
  /** Log lines scanned (handlers at DEBUG) and secrets looked for. */
  logLines: number;
  secrets: number;
  violations: string[];
  /** Wall-clock seconds the scenario took (informational: never asserted). */
  seconds?: number;
}

export interface FiguresFile {
  /** `npm test` (the small suite) or `npm run soak`. */
  suite: string;
  source: string;
  generatedAt: string;
  scenarios: ScenarioFigures[];
}

export const RESULTS_DIR = process.env.RELIABILITY_RESULTS_DIR ?? join(PROJECT_ROOT, 'reliability', 'results');

/** Sorts invariant violations into the figures' buckets (messages of local/invariants.ts). */
export function classifyViolations(violations: readonly string[]): Pick<ScenarioFigures, 'lost' | 'duplicated' | 'untruthful'> {
  let lost = 0;
  let duplicated = 0;
  let untruthful = 0;
  for (const violation of violations) {
    const records = /: (\d+) records$/.exec(violation);
    if (records) {
      if (Number(records[1]) === 0) lost += 1;
      else duplicated += 1;
    } else if (/orphan object|listed twice|never entered|extra workflow/.test(violation)) duplicated += 1;
    else if (/missing from S3|does not match its manifest|no manifest/.test(violation)) lost += 1;
    else untruthful += 1;
  }
  return { lost, duplicated, untruthful };
}

export async function writeFigures(name: string, file: Omit<FiguresFile, 'generatedAt'>, dir = RESULTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  await writeFile(path, `${JSON.stringify({ ...file, generatedAt: new Date().toISOString() }, null, 2)}\n`);
  return path;
}

export async function readFigures(dir = RESULTS_DIR): Promise<FiguresFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as FiguresFile));
}

/** Sums a set of scenarios into one row. */
export function total(label: string, scenarios: readonly ScenarioFigures[]): ScenarioFigures {
  const sum = (pick: (s: ScenarioFigures) => number | undefined) => scenarios.reduce((acc, s) => acc + (pick(s) ?? 0), 0);
  const merge = (pick: (s: ScenarioFigures) => Record<string, number>) => {
    const merged: Record<string, number> = {};
    for (const s of scenarios) for (const [k, v] of Object.entries(pick(s))) merged[k] = (merged[k] ?? 0) + v;
    return merged;
  };
  return {
    scenario: label,
    checks: sum((s) => s.checks),
    events: sum((s) => s.events),
    workflows: sum((s) => s.workflows),
    faults: sum((s) => s.faults),
    kinds: merge((s) => s.kinds),
    records: sum((s) => s.records),
    objects: sum((s) => s.objects),
    bytes: sum((s) => s.bytes),
    statuses: merge((s) => s.statuses),
    missing: merge((s) => s.missing ?? {}),
    quarantined: merge((s) => s.quarantined ?? {}),
    rejected: sum((s) => s.rejected),
    reruns: sum((s) => s.reruns),
    orphansBeforeRerun: sum((s) => s.orphansBeforeRerun),
    lost: sum((s) => s.lost),
    duplicated: sum((s) => s.duplicated),
    untruthful: sum((s) => s.untruthful),
    leaked: sum((s) => s.leaked),
    logLines: sum((s) => s.logLines),
    secrets: sum((s) => s.secrets),
    violations: scenarios.flatMap((s) => s.violations),
    seconds: sum((s) => s.seconds),
  };
}

/** One line of figures for a terminal. */
export function summaryLine(f: ScenarioFigures): string {
  return (
    `${f.scenario}: ${f.checks} checks, ${f.events} events, ${f.workflows} workflows, ${f.faults} faults → ` +
    `${f.records} records and ${f.objects} objects (${mib(f.bytes)}) verified; ` +
    `lost ${f.lost}, duplicated ${f.duplicated}, untruthful ${f.untruthful}, leaked ${f.leaked} ` +
    `(${f.logLines} log lines, ${f.secrets} secrets looked for)${f.seconds !== undefined ? ` in ${f.seconds.toFixed(1)} s` : ''}`
  );
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
