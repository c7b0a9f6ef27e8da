/**
 * Runs one benchmark module in a fresh Node process: clean memory figures, one local stack per process, and the
 * parent's heap (CDK synthesis, other benchmarks) out of the measurement. The module exports `run(input)`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./child-entry.ts', import.meta.url));

export interface ChildOptions {
  /** Extra node flags, e.g. --max-old-space-size=4096 or --expose-gc. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

type ChildReply = { ok: true; result: unknown } | { ok: false; error: string };

export function runInChild<T>(modulePath: string, input: unknown, options: ChildOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(ENTRY, [], {
      execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    let reply: ChildReply | undefined;
    child.on('message', (message) => {
      reply = message as ChildReply;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (reply?.ok) resolve(reply.result as T);
      else reject(new Error(reply && !reply.ok ? reply.error : `benchmark child ${modulePath} exited (${signal ?? code}) without a result`));
    });
    child.send({ modulePath: fileURLToPath(new URL(modulePath, import.meta.url)), input });
  });
}
