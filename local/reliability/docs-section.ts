/**
 * Writes the figures of docs/reliability.md from what the suite measured (reliability/results/*.json):
 * `npm run reliability:docs` after `npm test` and `npm run soak`.
 */
import { join } from 'node:path';
import { writeGeneratedSection } from '../generated-section';
import { PROJECT_ROOT } from '../paths';
import { readFigures, total, type FiguresFile, type ScenarioFigures } from './figures';

export const RELIABILITY_DOC = join(PROJECT_ROOT, 'docs', 'reliability.md');

const n = (value: number | undefined) => (value ?? 0).toLocaleString('en-US');

function counts(record: Record<string, number>): string {
  return Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => `${name} ${n(count)}`)
    .join(', ');
}

function row(f: ScenarioFigures, bold = false): string {
  const b = (text: string) => (bold ? `**${text}**` : text);
  const cells = [b(f.scenario), n(f.checks), n(f.events), n(f.faults), n(f.records), n(f.objects)];
  const promises = [f.lost, f.duplicated, f.untruthful, f.leaked].map((value) => b(n(value)));
  return `| ${[...cells, ...promises, counts(f.statuses)].join(' | ')} |`;
}

/** Table order: the provider (its faults, then its drift), the evidence, the events, storage, long outages, recovery, the random mix last. */
const FILE_ORDER = ['provider-faults', 'provider-drift', 'evidence-faults', 'events', 'storage-faults', 'outages', 'recovery', 'soak-small'];

function rank(file: FiguresFile): number {
  const index = FILE_ORDER.findIndex((name) => file.source.includes(name.replace('-small', '')));
  return index < 0 ? FILE_ORDER.length : index;
}

function dateRange(dates: readonly string[]): string {
  const [first, last] = [dates[0], dates.at(-1)];
  if (!first) return 'never';
  return last && last !== first ? `${first} to ${last}` : first;
}

export function reliabilityFigures(unordered: readonly FiguresFile[]): string {
  const files = [...unordered].sort((a, b) => rank(a) - rank(b));
  const small = files.filter((file) => file.suite === 'npm test').flatMap((file) => file.scenarios);
  const soak = files.filter((file) => file.suite === 'npm run soak').flatMap((file) => file.scenarios);
  const all = total('all of the above', [...small, ...soak]);
  const columns = ['Scenario', 'Checks', 'Events', 'Faults injected', 'Records verified', 'Objects verified (sha256)', 'Lost', 'Duplicated', 'Untruthful', 'Leaked', 'Records ended as'];
  const header = `| ${columns.join(' | ')} |\n|---|${'--:|'.repeat(columns.length - 2)}---|`;
  const crashes = total('crashes', [...small, ...soak].filter((f) => f.reruns !== undefined));
  const dates = files.map((file) => file.generatedAt.slice(0, 10)).sort();
  const mostSecrets = Math.max(0, ...[...small, ...soak].map((f) => f.secrets));
  const verified = [...small, ...soak].reduce((sum, f) => sum + (f.verified ?? 0), 0);
  const recovery = [...small, ...soak].flatMap((f) => (f.recovery ? [f.recovery] : []));
  const sum = (key: keyof NonNullable<ScenarioFigures['recovery']>) => recovery.reduce((total, r) => total + r[key], 0);
  const lines = [
    `Figures of the last run (${dateRange(dates)}), written by the suite to \`reliability/results/\` and put here`,
    'by `npm run reliability:docs`:',
    '',
    header,
    ...small.map((f) => row(f)),
    ...(small.length > 1 ? [row(total('`npm test`, all scenarios', small), true)] : []),
    ...soak.map((f) => row({ ...f, scenario: `\`npm run soak\`: ${f.scenario}` }, true)),
    '',
    `Faults injected: ${n(all.faults)} — provider 5xx bursts and outages, 429 with Retry-After, slow answers,`,
    'connections reset mid-answer, provider drift (every documented example with nulls, numbers and booleans as',
    'strings, fields nobody announced, timestamps without an offset, status and task words the documents do not list,',
    'images in every form), malformed base64 frames, wrong content types and magic bytes, oversized images,',
    'redirects off the allowlist and into internal addresses, image URLs to the metadata service, the Lambda runtime',
    'API, private ranges and loopback names, vanished images, S3 and DynamoDB throttling, 25-minute outages of the',
    'provider (while polling, and before the archive step\'s own fetch) and of S3, a bucket refusing writes,',
    'crashes between the uploads and the record, duplicate deliveries, events that break the contract and',
    `hand-started executions with malformed states. All ${n(all.rejected)} broken events and states were refused with a`,
    'typed error: an event is dead-lettered (its reason, not its content) and starts no workflow; a malformed state fails',
    'its first task and is recorded as an error under the check it names, when it names one.',
    '',
    ...(Object.keys(all.missing).length > 0 ? [`Checks archived without some images say why in their record: ${counts(all.missing)}.`, ''] : []),
    ...(Object.keys(all.quarantined ?? {}).length > 0
      ? [`Nothing a provider sent was thrown away: items that were not valid images were kept as received, in quarantine: ${counts(all.quarantined ?? {})}.`, '']
      : []),
    ...(crashes.reruns
      ? [
          `Crash recovery: ${n(crashes.reruns)} archive steps died after their uploads and before their record; they left`,
          `${n(crashes.orphansBeforeRerun)} orphan objects, and re-running the workflows adopted every one (0 orphans after).`,
          '',
        ]
      : []),
    ...(recovery.length > 0
      ? [
          `Overlapping runs and open checks: ${n(sum('concurrentRuns'))} second workflows started beside live ones converged on one`,
          `record each; reconcile, in ${n(sum('reconcileRuns'))} runs bounded by a time budget, paged the open-checks index, redrove`,
          `${n(sum('redriven'))} workflows stopped while polling (resumed at the failed state) and retried ${n(sum('retried'))} error records, each`,
          `check once, and never read the ${n(sum('notDue'))} open checks that were not due.`,
          '',
        ]
      : []),
    ...(verified > 0 ? [`Verify: the auditors' \`verify\` passed on ${n(verified)} records after their scenarios (each anchors the manifest in S3).`, ''] : []),
    `Secrets: ${n(all.logLines)} log lines scanned for up to ${n(mostSecrets)} secrets per run — leaked ${n(all.leaked)}.`,
  ];
  return `${lines.join('\n')}\n`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  readFigures()
    .then(async (files) => {
      if (files.length === 0) throw new Error('no figures yet: run npm test and npm run soak first');
      await writeGeneratedSection(RELIABILITY_DOC, 'reliability-figures', reliabilityFigures(files));
      process.stderr.write('wrote the figures of docs/reliability.md\n');
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    });
}
