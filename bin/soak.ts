/**
 * `npm run soak [-- --checks 1000 --seed 6]`: 1,000 checks with random faults through local mode (the synthesized
 * state machine, the real handlers, s3rver, dynalite, the fake providers, injected S3/DynamoDB faults), then the
 * archive's invariants and a scan of every log line for secrets. Prints the figures and writes them to
 * reliability/results/soak.json, and the figures of docs/reliability.md with the small suite's. Exit 1 on any violation.
 */
import '../local/promise-shim';
import { spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { writeGeneratedSection } from '../local/generated-section';
import { RELIABILITY_DOC, reliabilityFigures } from '../local/reliability/docs-section';
import { mib, readFigures, summaryLine, writeFigures } from '../local/reliability/figures';
import { parseSoakArgs, SoakUsageError } from '../local/reliability/soak-args';
import { runSoak } from '../local/reliability/soak';

/**
 * s3rver pages ListObjectsV2 with a DES-encrypted continuation token, which OpenSSL 3 only has in its legacy provider:
 * without it, listing more than 1,000 keys (the invariant checker lists the whole bucket) fails with InternalError.
 * Re-runs this script with the provider on when it is off.
 */
function legacyCiphersAvailable(): boolean {
  try {
    createDecipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  if (!legacyCiphersAvailable()) {
    const child = spawnSync(process.execPath, ['--openssl-legacy-provider', ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit' });
    return child.status ?? 2;
  }
  const args = parseSoakArgs(process.argv.slice(2));
  const storage = args.storageFaults ? ', S3/DynamoDB faults injected' : '';
  process.stdout.write(`soak: ${args.checks} checks, seed ${args.seed}, waits ${args.timeFactor}× faster than real time${storage}…\n`);
  const { figures, leaks, storageFaultsInjected } = await runSoak(args);
  const path = await writeFigures(args.results, { suite: 'npm run soak', source: 'bin/soak.ts', scenarios: [figures] });
  // The documentation's figures: the soak's own results file with the small suite's (only the default name).
  if (args.results === 'soak') await writeGeneratedSection(RELIABILITY_DOC, 'reliability-figures', reliabilityFigures(await readFigures()));

  const rows = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `  ${String(n).padStart(6)}  ${name}`)
      .join('\n');
  process.stdout.write(`\nfault kinds (checks):\n${rows(figures.kinds)}\n`);
  process.stdout.write(`\nrecord statuses:\n${rows(figures.statuses)}\n`);
  if (Object.keys(figures.missing).length > 0) process.stdout.write(`\nwhy images are missing (checks):\n${rows(figures.missing)}\n`);
  if (storageFaultsInjected) process.stdout.write(`\nstorage faults injected:\n${rows(storageFaultsInjected)}\n`);
  process.stdout.write(
    `\n${figures.events} events (${figures.rejected} invalid or malformed, rejected), ${figures.workflows} workflows, ` +
      `${figures.reruns ?? 0} crashed executions re-run (${figures.orphansBeforeRerun ?? 0} orphan objects before, 0 after); ` +
      `${figures.objects} objects, ${mib(figures.bytes)}, sha256-verified.\n\n${summaryLine(figures)}\nfigures: ${path}\n`,
  );
  const problems = [...figures.violations, ...leaks.map((leak) => `leaked ${leak.kind} in ${leak.where}`)];
  if (problems.length > 0) {
    process.stdout.write(`\nVIOLATIONS (${problems.length}):\n${problems.slice(0, 50).map((p) => `- ${p}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write('lost = 0, duplicated = 0, leaked = 0\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const { name, message } = error as Error;
    process.stderr.write(error instanceof SoakUsageError ? `${message}\n` : `soak failed: ${name}: ${message}\n`);
    process.exit(2);
  },
);
