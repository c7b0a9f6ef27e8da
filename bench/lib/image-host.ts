/**
 * A static image host in its own process: serves generated JPEGs from memory, so a download→S3 measurement does
 * not share an event loop with s3rver. `startImageHost()` forks this file; the child renders what it is told to serve.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

type CommandBody = { type: 'serve'; path: string; seed: string; bytes: number } | { type: 'drop'; path: string };
type Command = CommandBody & { id: number };
type Reply = { type: 'ready'; origin: string } | { type: 'done'; id: number; bytes: number };

export interface ImageHost {
  origin: string;
  /** Renders a JPEG of at least `bytes` (deterministic for `seed`) and serves it at `path`; resolves to its size. */
  serve(path: string, seed: string, bytes: number): Promise<number>;
  drop(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function startImageHost(): Promise<ImageHost> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, (bytes: number) => void>();
  let nextId = 0;
  const origin = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: Reply) => {
      if (message.type === 'ready') resolve(message.origin);
      else pending.get(message.id)?.(message.bytes);
    });
  });
  const ask = (command: CommandBody) =>
    new Promise<number>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      child.send({ ...command, id });
    });
  return {
    origin,
    serve: (path, seed, bytes) => ask({ type: 'serve', path, seed, bytes }),
    drop: async (path) => void (await ask({ type: 'drop', path })),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

async function serveFromThisProcess(): Promise<void> {
  const { renderImage } = await import('../../local/fake-providers');
  const images = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const body = images.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (command: Command) => {
    let bytes = 0;
    if (command.type === 'serve') {
      const body = renderImage({ format: 'jpeg', seed: command.seed, width: 96, height: 64, minBytes: command.bytes });
      images.set(command.path, body);
      bytes = body.length;
    } else {
      images.delete(command.path);
    }
    process.send!({ type: 'done', id: command.id, bytes } satisfies Reply);
  });
  process.send!({ type: 'ready', origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } satisfies Reply);
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--serve')) void serveFromThisProcess();
