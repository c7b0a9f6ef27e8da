/**
 * Captures everything this process writes to stdout and stderr — the handlers' Powertools JSON lines, the fake
 * providers' and the local services' messages, anything a library prints, through the streams or the global console
 * (which a test runner may route elsewhere) — so a run can prove no secret reached a log. Output is swallowed unless
 * `echo` is set (a soak writes tens of thousands of lines).
 */
import { format } from 'node:util';

export interface LogCapture {
  /** Every line so far (a trailing partial line included). */
  lines(): string[];
  /** A position in the output, for linesSince. */
  mark(): number;
  /** The lines written after a mark. */
  linesSince(mark: number): string[];
  /** Lines that are JSON objects with a `level`: the handlers' structured log. */
  structuredLines(): number;
  stop(): void;
}

type Write = typeof process.stdout.write;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

export function captureOutput(options: { echo?: boolean } = {}): LogCapture {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write) as [Write, Write];
  streams.forEach((stream, i) => {
    const original = originals[i]!;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (options.echo) return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      callback?.();
      return true;
    } as Write;
  });
  const consoleOriginals = CONSOLE_METHODS.map((method) => console[method]);
  CONSOLE_METHODS.forEach((method, i) => {
    console[method] = (...args: unknown[]) => {
      chunks.push(`${format(...args)}\n`);
      if (options.echo) (consoleOriginals[i] as (...a: unknown[]) => void).apply(console, args);
    };
  });
  let stopped = false;
  const linesSince = (mark: number) => chunks.slice(mark).join('').split('\n').filter((line) => line.length > 0);
  const lines = () => linesSince(0);
  return {
    lines,
    mark: () => chunks.length,
    linesSince,
    structuredLines: () => lines().filter((line) => line.startsWith('{') && line.includes('"level"')).length,
    stop: () => {
      if (stopped) return;
      stopped = true;
      streams.forEach((stream, i) => {
        stream.write = originals[i]!;
      });
      CONSOLE_METHODS.forEach((method, i) => {
        console[method] = consoleOriginals[i]!;
      });
    },
  };
}
