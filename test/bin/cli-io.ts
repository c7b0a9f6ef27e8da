/** Runs the CLI in-process with captured output. */
import { runCli, type RunOptions } from '../../bin/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runAudit(argv: string[], options: RunOptions & { env?: Record<string, string>; tty?: boolean } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    {
      stdout: { write: (text: string) => (out += text), isTTY: options.tty ?? false },
      stderr: { write: (text: string) => (err += text), isTTY: options.tty ?? false },
      env: options.env ?? {},
    },
    options,
  );
  return { code, out, err };
}
