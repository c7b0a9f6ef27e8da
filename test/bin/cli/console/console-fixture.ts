/**
 * An archive written by the real engine from the fake providers (the auditor tests' fixture, plus checks with items
 * in quarantine), a console serving it on 127.0.0.1, and a raw HTTP client that can send any Host, Origin or cookie
 * a browser, curl or an attacker's page would.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { startConsole, type RunningConsole } from '../../../../bin/cli/console/server';
import type { AuditEvent } from '../../../../bin/cli/console/audit-log';
import { startEmulators, type Emulators } from '../../../../local/emulators';
import { STANDARD_CHECKS, buildArchive, daysAgo, type Fixture } from '../../../lambdas/audit/archive-fixture';

export const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';

export interface ConsoleFixture {
  emulators: Emulators;
  archive: Fixture;
  console: RunningConsole;
  events: AuditEvent[];
  /** Every line the audit log wrote, as written. */
  lines: string[];
  /** The session cookie, as a browser would send it back after opening the printed URL. */
  cookie: string;
  close(): Promise<void>;
}

export const CONSOLE_CHECKS = () => [
  ...STANDARD_CHECKS(),
  { label: 'liveness-quarantined', script: { provider: 'liveness' as const, auditFrames: 2, faults: { frames: [{ frame: 0, kind: 'magic-mismatch' as const }] } }, day: daysAgo(1) },
];

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  const emulators = await startEmulators();
  const archive = await buildArchive(emulators, CONSOLE_CHECKS());
  const lines: string[] = [];
  const events: AuditEvent[] = [];
  const running = await startConsole({
    deps: archive.audit,
    targetLabel: 'test archive',
    caller: { userArn: 'local', osUser: 'auditor-under-test' },
    auditLog: {
      write(event) {
        lines.push(JSON.stringify(event));
        events.push(structuredClone(event));
      },
    },
    token: TOKEN,
    expiresIn: 120,
  });
  const login = await send(running.port, { path: `/?token=${TOKEN}` });
  const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  return {
    emulators,
    archive,
    console: running,
    events,
    lines,
    cookie,
    async close() {
      await running.close();
      await archive.close();
      await emulators.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request as sent, Host included (fetch would not let a test set it). */
export function send(port: number, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: { host: `127.0.0.1:${port}`, ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A request with the session cookie, as the console's own page makes it. */
export function get(f: ConsoleFixture, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return send(f.console.port, { path, headers: { cookie: f.cookie, ...headers } });
}

/** The src of every <img> on a page, decoded as the browser would read the attribute. */
export function imageSources(page: string): string[] {
  return [...page.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
}

export function lastEvent(f: ConsoleFixture): AuditEvent {
  return f.events[f.events.length - 1]!;
}
