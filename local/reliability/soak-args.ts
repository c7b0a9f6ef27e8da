/**
 * `npm run soak -- [--checks N] [--seed N] [--time-factor N] [--no-storage-faults] [--echo] [--results NAME]`.
 * Parsed strictly: any bad argument is a SoakUsageError naming the option, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { ArchiverError } from '../../lambdas/common/errors';

export class SoakUsageError extends ArchiverError {
  override readonly name = 'SoakUsageError';
  readonly retryable = false;
}

export interface SoakArgs {
  checks: number;
  seed: number;
  timeFactor: number;
  storageFaults: boolean;
  echo: boolean;
  /** Results file name under reliability/results. */
  results: string;
}

export const SOAK_USAGE =
  'usage: npm run soak -- [--checks 1000] [--seed 6] [--time-factor 100] [--no-storage-faults] [--echo] [--results soak]';

export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        checks: { type: 'string', default: '1000' },
        seed: { type: 'string', default: '6' },
        'time-factor': { type: 'string', default: '100' },
        'no-storage-faults': { type: 'boolean', default: false },
        echo: { type: 'boolean', default: false },
        results: { type: 'string', default: 'soak' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // node:util's messages quote the offending argument, which is the user's own input: fine to show.
    throw new SoakUsageError(`${(error as Error).message}\n${SOAK_USAGE}`);
  }
  const integer = (name: string, min: number, max: number) => {
    const text = String(values[name]);
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new SoakUsageError(`--${name} must be an integer from ${min} to ${max}\n${SOAK_USAGE}`);
    }
    return value;
  };
  const results = String(values.results);
  if (!/^[\w-]{1,64}$/.test(results)) throw new SoakUsageError(`--results must be 1-64 letters, digits, - or _\n${SOAK_USAGE}`);
  return {
    checks: integer('checks', 1, 100_000),
    seed: integer('seed', 0, 2 ** 32 - 1),
    timeFactor: integer('time-factor', 1, 10_000),
    storageFaults: values['no-storage-faults'] !== true,
    echo: values.echo === true,
    results,
  };
}
