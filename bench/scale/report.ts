/** The scale model as Markdown: printed by the bench and written to docs/benchmarks.md (bench-scale). Pure. */
import { markdownTable, num } from '../lib/table';
import { verdictTable } from '../report';
import { percent, TARGET_RATES, type ScaleResult } from '../scale';
import type { Raise } from './quotas';

/** 12345.6 → "12,346"; small figures keep a decimal. */
export function count(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value >= 10 ? value.toFixed(0) : value.toFixed(value >= 1 ? 1 : 2);
}

const RAISE: Record<Raise, string> = { 'quota-request': 'quota request', automatic: 'AWS scales it', setting: 'a setting (deploy)', fixed: 'fixed (design)' };

export function scaleMarkdown(scale: ScaleResult): string {
  const { first, settings } = scale;
  const out: string[] = [];
  out.push(
    `The default quotas of ${scale.region} carry **${count(first.ceiling)} checks/s** of this workload; the first ceiling is **${first.name}** ` +
      `(${count(scale.quotas.find((q) => q.id === first.id)!.perCheck)} ${scale.quotas.find((q) => q.id === first.id)!.unit} per check/s against ${count(scale.quotas.find((q) => q.id === first.id)!.limit)}).`,
    '',
  );
  out.push(`Per-check usage (measured by benchmarks 1, 3 and 4; shares from the polling workload):`, '', profileTable(scale), '');
  out.push(`Load on each quota, by arrival rate (steady state; % of the default):`, '', quotaTable(scale), '');
  if (scale.queues.length > 0) {
    out.push(
      `Poll queues: each event source mapping against its cap (cdk.json \`pollMaxConcurrency\`), and all of them against the caps together (batches in flight; % of the cap):`,
      '',
      queueTable(scale),
      '',
    );
  }
  out.push(`Hottest index keys (indexShards ${settings.indexShards}; a partition takes 1,000 write units/s):`, '', hotKeyTable(scale), '');
  out.push(`To raise, by target rate (a request keeps the load at ${settings.headroom * 100} % of the new quota):`, '', increaseTable(scale), '');
  out.push(verdictTable(scale.verdicts), '');
  return out.join('\n');
}

function profileTable(scale: ScaleResult): string {
  return markdownTable(
    ['check', 'share', 'open for', 'transitions', 'Lambda invocations', 'Lambda s', 'S3 PUT / GET', 'DynamoDB units: table + indexes'],
    scale.profiles.map((p) => {
      const invocations = p.invocations.reduce((sum, i) => sum + i.count, 0);
      const seconds = p.invocations.reduce((sum, i) => sum + (i.count * i.durationMs) / 1000, 0);
      const indexUnits = p.dynamo.indexUnits.reduce((sum, w) => sum + w.units, 0);
      return [
        p.id,
        percent(p.share),
        duration(p.lifetimeSeconds),
        num(p.transitions),
        num(invocations),
        num(seconds, 2),
        `${num(p.s3.puts)} / ${num(p.s3.gets)}`,
        `${num(p.dynamo.tableUnits, 2)} + ${num(indexUnits, 2)}`,
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

function quotaTable(scale: ScaleResult): string {
  return markdownTable(
    ['quota', 'default', 'per check/s', 'reached at', ...TARGET_RATES.map((rate) => `${rate.toLocaleString('en-US')}/s`), 'raised by'],
    [...scale.quotas]
      .sort((a, b) => a.ceiling - b.ceiling)
      .map((q) => [
        `${q.name} (${q.unit})`,
        count(q.limit),
        count(q.perCheck),
        Number.isFinite(q.ceiling) ? `${count(q.ceiling)} checks/s` : 'not used',
        ...TARGET_RATES.map((rate) => (q.perCheck > 0 ? `${count(rate * q.perCheck)} (${percent((rate * q.perCheck) / q.limit)})` : '–')),
        RAISE[q.raise],
      ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

function queueTable(scale: ScaleResult): string {
  const atRates = (perCheck: number, cap: number) => TARGET_RATES.map((rate) => `${count(rate * perCheck)} (${percent((rate * perCheck) / cap)})`);
  const rows = scale.queues.map((q) => [q.mapping, num(q.messages, 1), `${num(q.batchSeconds * 1000, 0)} ms`, count(q.cap), num(q.perCheck, 3), ...atRates(q.perCheck, q.cap)]);
  if (scale.queues.length > 1) {
    const cap = scale.queues.reduce((sum, q) => sum + q.cap, 0);
    const perCheck = scale.queues.reduce((sum, q) => sum + q.perCheck, 0);
    rows.push(['all poll queues', '', '', count(cap), num(perCheck, 3), ...atRates(perCheck, cap)]);
  }
  return markdownTable(
    ['poll queue', 'polls per check', 'a batch lasts', 'cap', 'batches per check/s', ...TARGET_RATES.map((rate) => `${rate.toLocaleString('en-US')}/s`)],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

function hotKeyTable(scale: ScaleResult): string {
  const rows = [
    ['workload mix', scale.hotKey],
    [`all ${scale.worstCase.profile}`, scale.worstCase],
  ] as const;
  return markdownTable(
    ['checks', 'hottest key', 'units per check', 'shards', ...TARGET_RATES.map((rate) => `${rate.toLocaleString('en-US')}/s`)],
    rows.map(([label, key]) => [
      label,
      `${key.index} ${key.key}`,
      num(key.unitsPerCheck, 2),
      String(key.shards),
      ...TARGET_RATES.map((rate) => `${count(rate * key.perShardKey)} (${percent((rate * key.perShardKey) / 1000)})`),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
}

function increaseTable(scale: ScaleResult): string {
  const rows = TARGET_RATES.flatMap((rate) => {
    const increases = scale.increases[String(rate)] ?? [];
    if (increases.length === 0) return [[`${rate.toLocaleString('en-US')}/s`, 'nothing: the defaults carry it', '', '', '']];
    return increases.map((increase) => {
      const quota = scale.quotas.find((q) => q.id === increase.id)!;
      return [
        `${rate.toLocaleString('en-US')}/s`,
        quota.name,
        count(increase.load),
        count(increase.limit),
        increase.request !== undefined ? `request ≥ ${count(increase.request)} ${quota.unit}` : increase.action!,
      ];
    });
  });
  return markdownTable(['rate', 'quota', 'steady load', 'default', 'what to do'], rows, ['l', 'l', 'r', 'r', 'l']);
}

function duration(seconds: number): string {
  if (seconds < 120) return `${num(seconds, 0)} s`;
  if (seconds < 7200) return `${num(seconds / 60, 1)} min`;
  return `${num(seconds / 3600, 1)} h`;
}

/** The quotas' sources, for the documentation. */
export function quotaSources(scale: ScaleResult): string {
  return scale.quotas.map((q) => `- ${q.name}: ${count(q.limit)} ${q.unit} — ${q.source}. ${q.note}`).join('\n');
}

/** The README's short version: what the defaults carry, and what 1,000 checks a second takes. */
export function scaleReadme(scale: ScaleResult, rate = 1_000): string {
  const increases = scale.increases[String(rate)] ?? [];
  const quota = (id: string) => scale.quotas.find((q) => q.id === id)!;
  const requests = increases.filter((i) => i.request !== undefined);
  const automatic = increases.filter((i) => quota(i.id).raise === 'automatic');
  const changes = increases.filter((i) => quota(i.id).raise === 'setting' || quota(i.id).raise === 'fixed');
  const perSecond = `${rate.toLocaleString('en-US')} checks a second`;
  return [
    `With AWS's default quotas in ${scale.region} the archive carries about **${count(scale.first.ceiling)} checks a second**; the first ceiling is ` +
      `${scale.first.name}. ${perSecond} ${changes.length === 0 ? 'needs no change to code or settings, only these' : 'needs these'} quota requests ` +
      `(Service Quotas, ${scale.region}):`,
    '',
    ...requests.map((i) => `- ${quota(i.id).name}: at least ${count(i.request!)} ${quota(i.id).unit} (default ${count(i.limit)})`),
    ...(changes.length > 0 ? ['', `and these changes to the archive (no quota request raises them):`, '', ...changes.map((i) => `- ${quota(i.id).name}: ${i.action}`)] : []),
    ...(automatic.length > 0 ? ['', 'and, without a request:', '', ...automatic.map((i) => `- ${quota(i.id).name}: ${i.action}`)] : []),
    '',
    `Per-check usage, every quota at 100, 1,000 and 10,000 checks a second, and the hottest index key: [benchmarks](docs/benchmarks.md#5-scale-model-what-the-default-quotas-carry-and-what-breaks-first).`,
  ].join('\n');
}
