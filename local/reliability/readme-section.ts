/**
 * Prints the README's "Reliability" section from the figures the suite wrote (reliability/results/*.json):
 * `npx tsx local/reliability/readme-section.ts > section.md` after `npm test` and `npm run soak`.
 */
import { readFigures, total, type FiguresFile, type ScenarioFigures } from './figures';

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

/** Table order: the provider (its faults, then its drift), the evidence, the events, storage, the random mix last. */
const FILE_ORDER = ['provider-faults', 'provider-drift', 'evidence-faults', 'events', 'storage-faults', 'soak-small'];

function rank(file: FiguresFile): number {
  const index = FILE_ORDER.findIndex((name) => file.source.includes(name.replace('-small', '')));
  return index < 0 ? FILE_ORDER.length : index;
}

function dateRange(dates: readonly string[]): string {
  const [first, last] = [dates[0], dates.at(-1)];
  if (!first) return 'never';
  return last && last !== first ? `${first} to ${last}` : first;
}

export function readmeSection(unordered: readonly FiguresFile[]): string {
  const files = [...unordered].sort((a, b) => rank(a) - rank(b));
  const small = files.filter((file) => file.suite === 'npm test').flatMap((file) => file.scenarios);
  const soak = files.filter((file) => file.suite === 'npm run soak').flatMap((file) => file.scenarios);
  const all = total('all of the above', [...small, ...soak]);
  const columns = ['Scenario', 'Checks', 'Events', 'Faults injected', 'Records verified', 'Objects verified (sha256)', 'Lost', 'Duplicated', 'Untruthful', 'Leaked', 'Records ended as'];
  const header = `| ${columns.join(' | ')} |\n|---|${'--:|'.repeat(columns.length - 2)}---|`;
  const crashes = total('crashes', [...small, ...soak].filter((f) => f.reruns !== undefined));
  const dates = files.map((file) => file.generatedAt.slice(0, 10)).sort();
  const mostSecrets = Math.max(0, ...[...small, ...soak].map((f) => f.secrets));
  const lines = [
    '## Reliability',
    '',
    'Nothing lost, nothing duplicated, nothing leaked — measured, not claimed. The fault suite (`test/reliability/`) runs',
    'the product in local mode: the synthesized state machine on the local Step Functions service, the real handlers,',
    's3rver, dynalite and the fake providers scripted to misbehave; S3 and DynamoDB faults, which the emulators cannot',
    'produce, are injected into the handlers\' own SDK clients with aws-sdk-client-mock. After every scenario an invariant',
    'checker reads the whole archive back: every check that entered has exactly one record whose status is the one its',
    'path must give, no object is orphaned or listed twice, and every archived object\'s sha256 and size match its',
    'manifest. Every log line the run wrote (handlers at DEBUG) is searched for the run\'s secrets: liveness tokens and',
    'other check ids, client keys, the provider API keys and JWT, and the personal data and image bytes read back from',
    'the providers\' own answers (OCR values, emails, wallets, base64 of frames and images).',
    '',
    `Figures of the last run (${dateRange(dates)}), written by the suite to \`reliability/results/\` and printed`,
    'by `npx tsx local/reliability/readme-section.ts`:',
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
    'API, private ranges and loopback names, vanished images, S3 and DynamoDB throttling, a bucket refusing writes,',
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
    `Secrets: ${n(all.logLines)} log lines scanned for up to ${n(mostSecrets)} secrets per run — leaked ${n(all.leaked)}.`,
    '',
    'Bad input is fuzzed with fast-check (`test/fuzz/`): provider answers (near-misses of every documented example,',
    'truncated and arbitrary bodies) through the clients\' lenient readers, liveness frames, image URLs and redirect targets,',
    '`Check Created` events, workflow states, the retention policy, archive settings, JSON environment variables, the',
    'CDK context and the soak\'s command line — each yields a value or a typed error that quotes no input; the auditor',
    'CLI on arbitrary arguments ends with a documented exit code, never a stack trace; and near-miss answers with hostile',
    'frames and links go all the way through the archive engine, each ending in exactly one record.',
    '',
    'Reproduce: `npm test` (every scenario, small), `npm run soak` (1,000 checks with random faults; `-- --checks N',
    '--seed S` to change the mix), then `npx tsx local/reliability/readme-section.ts`.',
  ];
  return `${lines.join('\n')}\n`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  readFigures().then(
    (files) => {
      if (files.length === 0) {
        process.stderr.write('no figures yet: run npm test and npm run soak first\n');
        process.exit(1);
      }
      process.stdout.write(readmeSection(files));
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
