/**
 * Standalone fake providers: `npm run providers -- --port 4010 [--time-factor 60] [--scenario FILE]`.
 * Prints one line with the base URL, serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { loadScenarioFile, startFakeProviders } from '../local/fake-providers';

function numberOption(name: string, raw: string | undefined, fallback: number, valid: (n: number) => boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value)) throw new RangeError(`--${name} must be a valid number, got ${JSON.stringify(raw)}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'time-factor': { type: 'string' },
      scenario: { type: 'string' },
    },
    strict: true,
  });
  const port = numberOption('port', values.port, 4010, (n) => Number.isInteger(n) && n >= 0 && n <= 65535);
  const timeFactor = numberOption('time-factor', values['time-factor'], 1, (n) => n > 0);
  const checks = values.scenario ? await loadScenarioFile(values.scenario) : [];
  const fake = await startFakeProviders({ port, timeFactor, checks, log: (line) => console.error(line) });
  console.log(`fake providers listening on ${fake.baseUrl}`);

  const stop = () => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`fake providers: ${error instanceof Error ? error.message : 'failed to start'}`);
  process.exit(1);
});
