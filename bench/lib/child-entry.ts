/** The child side of runInChild: imports the module, runs it once, sends the result back, exits. */
import '../../local/promise-shim';

process.once('message', async (message: { modulePath: string; input: unknown }) => {
  let exitCode = 0;
  try {
    const module = (await import(message.modulePath)) as { run(input: unknown): Promise<unknown> };
    const result = await module.run(message.input);
    await new Promise<void>((resolve) => process.send!({ ok: true, result }, () => resolve()));
  } catch (error) {
    exitCode = 1;
    const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    await new Promise<void>((resolve) => process.send!({ ok: false, error: text }, () => resolve()));
  }
  // Servers and sockets a module forgot must not keep the benchmark waiting.
  process.exit(exitCode);
});
