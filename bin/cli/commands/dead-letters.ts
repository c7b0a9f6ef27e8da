/**
 * `audit-archiver dead-letters list|replay`: what waits in the dead-letter queue (provider, checkRef, reason, age —
 * never a check id), and replaying it into the start queue with the original event (lambdas/operations/
 * dead-letter-queue.ts). Against AWS (the stack's outputs DeadLetterQueueUrl, StartQueueUrl and the dead-letter key)
 * or a local queue (`--sqs-endpoint`, `--local-key-file` from the local archive folder).
 */
import { readFileSync } from 'node:fs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLocalSealer, type ReplaySealer } from '../../../lambdas/events/dead-letters';
import { createKmsSealer } from '../../../lambdas/events/sealer-runtime';
import { listDeadLetters, redriveDeadLetters } from '../../../lambdas/operations/dead-letter-queue';
import { LOCAL_CREDENTIALS } from '../../../local/emulators';
import { EXIT, stringValue, type CliCommand, type CommandContext } from '../command';

export const DEAD_LETTERS_HELP = `audit-archiver dead-letters list|replay [options]

Check Created events that did not start their workflow wait in the dead-letter queue, sealed: the event with its
checkId replaced by the checkRef, and the original encrypted with the dead-letter key. The stack replays the ones that
can help every 15 minutes; this command shows them and replays by hand (after fixing a cause). A replay keeps the
event's original time and createdAt; duplicates start nothing.

  list                      every dead letter: provider, checkRef, createdAt, when, why, replays (no check ids)
  replay                    replays the replayable ones into the start queue (and seals raw ones)

Options:
  --queue URL               the dead-letter queue (stack output DeadLetterQueueUrl; env DEAD_LETTER_QUEUE_URL)
  --to URL                  replay: the start queue (stack output StartQueueUrl; env START_QUEUE_URL)
  --key ARN                 replay: the dead-letter key (env DEAD_LETTER_KEY_ARN; needs kms:Decrypt on it)
  --local-key-file FILE     replay against a local stack: its key (.archive/dead-letter.key)
  --check CHECKREF          replay: only this check's letters
  --all                     replay: also letters of events outside the contract (after the producer fixed them)
  --sqs-endpoint URL        a local SQS (or AWS_ENDPOINT_URL_SQS)

Exit codes: 0 done, 1 a letter could not be replayed, 2 bad arguments, 4 AWS unreachable or refused.`;

export const deadLettersCommand: CliCommand = {
  name: 'dead-letters',
  summary: 'List or replay dead-lettered Check Created events (sealed: no check ids shown)',
  help: DEAD_LETTERS_HELP,
  options: {
    queue: { type: 'string' },
    to: { type: 'string' },
    key: { type: 'string' },
    'local-key-file': { type: 'string' },
    check: { type: 'string' },
    all: { type: 'boolean' },
    'sqs-endpoint': { type: 'string' },
  },
  positionals: [1, 1],
  run: runDeadLetters,
};

async function runDeadLetters(ctx: CommandContext): Promise<number> {
  const { io, values } = ctx;
  const action = ctx.positionals[0];
  const queue = stringValue(values, 'queue') ?? io.env.DEAD_LETTER_QUEUE_URL;
  if (action !== 'list' && action !== 'replay') {
    io.stderr.write('dead-letters: say list or replay\n');
    return EXIT.usage;
  }
  if (!queue) {
    io.stderr.write('dead-letters: --queue (or DEAD_LETTER_QUEUE_URL) is required\n');
    return EXIT.usage;
  }
  const endpoint = stringValue(values, 'sqs-endpoint');
  const region = stringValue(values, 'region');
  const profile = stringValue(values, 'profile');
  const sqs = new SQSClient({
    ...(region ? { region } : {}),
    ...(profile ? { profile } : {}),
    ...(endpoint ? { endpoint, region: region ?? 'us-east-1', credentials: LOCAL_CREDENTIALS } : {}),
  });
  try {
    if (action === 'list') {
      const letters = await listDeadLetters({ sqs, deadLetterQueueUrl: queue, now: () => new Date() });
      if (ctx.format === 'json') io.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
      else {
        io.stdout.write(`dead letters: ${letters.length}\n`);
        for (const l of letters) {
          io.stdout.write(
            l.kind === 'raw'
              ? `  (raw: sealed by the next redrive)\n`
              : `  ${l.provider ?? '-'} ${l.checkRef ?? '-'} created ${l.createdAt ?? '-'} dead-lettered ${l.deadLetteredAt} ` +
                  `replays ${l.replays}${l.replayable ? '' : ' (not replayable)'}: ${l.reason}\n`,
          );
        }
      }
      return EXIT.ok;
    }
    const to = stringValue(values, 'to') ?? io.env.START_QUEUE_URL;
    if (!to) {
      io.stderr.write('dead-letters replay: --to (or START_QUEUE_URL) is required\n');
      return EXIT.usage;
    }
    let sealer: ReplaySealer;
    const keyFile = stringValue(values, 'local-key-file');
    const key = stringValue(values, 'key') ?? io.env.DEAD_LETTER_KEY_ARN;
    if (keyFile) sealer = createLocalSealer(readFileSync(keyFile));
    else if (key) sealer = createKmsSealer(new KMSClient({ ...(region ? { region } : {}), ...(profile ? { profile } : {}) }), key);
    else {
      io.stderr.write('dead-letters replay: --key (or DEAD_LETTER_KEY_ARN) or --local-key-file is required\n');
      return EXIT.usage;
    }
    const check = stringValue(values, 'check');
    const report = await redriveDeadLetters({
      sqs,
      deadLetterQueueUrl: queue,
      startQueueUrl: to,
      sealer,
      now: () => new Date(),
      replay: values.all === true ? 'all' : 'replayable',
      // An operator's replay is deliberate: however often it was replayed before.
      maxReplays: Number.POSITIVE_INFINITY,
      ...(check ? { checkRef: check } : {}),
    });
    io.stdout.write(
      ctx.format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : `replayed ${report.replayed}, sealed ${report.sealed}, left ${report.left}, failed ${report.failed}\n` +
            report.replays.map((r) => `  ${r.provider ?? '-'} ${r.checkRef ?? '-'} created ${r.createdAt ?? '-'}\n`).join(''),
    );
    return report.failed > 0 ? EXIT.failed : EXIT.ok;
  } catch (error) {
    const name = (error as { name?: unknown })?.name;
    io.stderr.write(`dead-letters failed: ${typeof name === 'string' ? name : 'UnknownError'}\n`);
    return EXIT.error;
  } finally {
    sqs.destroy();
  }
}
