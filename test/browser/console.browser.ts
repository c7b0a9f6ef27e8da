/**
 * The auditor console end to end, in a real browser (Debian's chromium, driven by playwright-core): `npm start` writes
 * the demo archive, `audit-archiver console` serves it, and the browser finds every demo check, views it (the images
 * it shows are the archived bytes: the sha256 of what the browser received equals the manifest's), exports it, and
 * verifies with the progress bar. A page of another local origin cannot read through the console. Screenshots of the
 * search page and of a KYC and a liveness check go to CONSOLE_SCREENSHOTS_DIR (default: a folder in the temp dir).
 *
 * Run: npm run test:browser (needs /usr/bin/chromium, or CHROMIUM_PATH; .ci/run installs Debian's package).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStoredZip } from '../lambdas/audit/zip-reader';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = resolve(process.env.CONSOLE_SCREENSHOTS_DIR ?? join(tmpdir(), 'audit-archiver-console-screenshots'));

interface Manifest {
  objects: Array<{ key: string; sha256: string; quarantined?: unknown; boundingBox?: unknown; contentType: string }>;
}

let dir: string;
let archive: string;
let auditLog: string;
let consoleProcess: ChildProcess | undefined;
let consoleUrl: URL;
let origin: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The checkRef prefixes `npm start` printed, one per demo check. */
let demoRefs: string[];
/** Full checkRefs by provider, as the search page links them. */
let checks: Array<{ provider: string; checkRef: string }> = [];
const cspViolations: string[] = [];
/** The KYC check (document and selfie) and the liveness check (boxes drawn) the screenshots show. */
const shown: { kyc?: string; liveness?: string } = {};

/** `node --import tsx <script> …` in the repository, as `npm start` / `npm run audit` run it (npx would not pass signals). */
function node(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
}

function output(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { text: () => text };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

// The few DOM shapes the page functions read (this project type-checks for Node, without the DOM library).
interface ImageElement { currentSrc: string; src: string; naturalWidth: number; alt: string }
interface ValueElement { value: number; max: number }
interface FoldElement { parentElement: { open: boolean } | null }
type BrowserGlobal = typeof globalThis & { document: { title: string; activeElement: { textContent: string | null } | null } };

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-browser-'));
  archive = join(dir, 'archive');
  auditLog = join(dir, 'audit.jsonl');
  await mkdir(SCREENSHOTS, { recursive: true });

  // npm start: the demo checks, end to end, into a fresh archive.
  const start = node(['bin/local.ts', '--data-dir', archive]);
  const startOutput = output(start);
  const code = await exited(start);
  if (code !== 0) throw new Error(`npm start failed (${code}):\n${startOutput.text().slice(-3000)}`);
  const workflows = Number(/→ (\d+) workflows/.exec(startOutput.text())?.[1]);
  demoRefs = [...startOutput.text().matchAll(/\s(liveness|kyc|verification)\s+([0-9a-f]{12})\s/g)].map((m) => `${m[1]}/${m[2]}`);
  expect(demoRefs).toHaveLength(workflows);

  // npm run audit -- console: the URL it prints is the way in.
  consoleProcess = node(['bin/audit-archiver.ts', 'console', '--data-dir', archive, '--audit-log', auditLog]);
  const consoleOutput = output(consoleProcess);
  for (let i = 0; i < 600 && !/open: http/.test(consoleOutput.text()); i++) {
    if (consoleProcess.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const printed = /open: (\S+)/.exec(consoleOutput.text())?.[1];
  if (!printed) throw new Error(`the console did not start:\n${consoleOutput.text()}`);
  consoleUrl = new URL(printed);
  origin = consoleUrl.origin;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (consoleProcess && consoleProcess.exitCode === null) {
    consoleProcess.kill('SIGTERM');
    const timer = setTimeout(() => consoleProcess?.kill('SIGKILL'), 10_000);
    await exited(consoleProcess);
    clearTimeout(timer);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function manifestOf(p: Page): Promise<Manifest | undefined> {
  // Checks that ended without evidence have no manifest (and no link): look, do not wait.
  const link = p.locator('ul.documents a', { hasText: 'manifest.json' });
  if ((await link.count()) === 0) return undefined;
  const href = (await link.getAttribute('href'))!;
  return (await (await context.request.get(href)).json()) as Manifest;
}

describe('the auditor console in a browser', () => {
  it('opens from the printed URL (token swapped for a cookie) and finds every demo check', async () => {
    const response = await page.goto(consoleUrl.href);
    expect(response!.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/`); // the token is gone from the address bar
    const cookies = await context.cookies(origin);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    await expect(page.locator('h1').textContent()).resolves.toBe('Find checks');
    await expect(page.locator('#counts-title').textContent()).resolves.toBe(`${demoRefs.length} checks match`);
    const links = await page.locator('table.results a[href^="/check/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    checks = links.map((href) => {
      const [, , provider, checkRef] = href.split('/');
      return { provider: provider!, checkRef: checkRef! };
    });
    expect(checks).toHaveLength(demoRefs.length);
    for (const demo of demoRefs) {
      const [provider, prefix] = demo.split('/');
      expect(checks.some((c) => c.provider === provider && c.checkRef.startsWith(prefix!)), demo).toBe(true);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'console-search.png'), fullPage: true });

    // Filters work from the form, as a person uses it.
    await page.selectOption('#f-provider', 'kyc');
    await page.fill('#f-outcome', 'success');
    await page.click('form.filters button[type="submit"]');
    await page.waitForURL(/provider=kyc/);
    const kycRows = await page.locator('table.results tbody tr').count();
    expect(kycRows).toBeGreaterThan(0);
    expect(await page.locator('table.results tbody td:nth-child(2)').allTextContents()).toEqual(Array(kycRows).fill('kyc'));
  });

  it('views every check: each image shown is the archived bytes, boxes are drawn, quarantined items are never shown', async () => {
    let kycShot = false;
    let livenessShot = false;
    let boxesDrawn = 0;
    for (const { provider, checkRef } of checks) {
      const received = new Map<string, Buffer>();
      const onResponse = async (response: import('playwright-core').Response) => {
        if (response.request().resourceType() === 'image') received.set(response.url(), await response.body());
      };
      page.on('response', onResponse);
      const answer = await page.goto(`${origin}/check/${provider}/${checkRef}`, { waitUntil: 'load' });
      page.off('response', onResponse);
      expect(answer!.status(), checkRef).toBe(200);
      expect(await page.locator('h1 code.ref').textContent()).toBe(checkRef);

      const manifest = await manifestOf(page);
      const images = await page.locator('figure.image img').evaluateAll((imgs) =>
        (imgs as unknown as ImageElement[]).map((img) => ({ src: img.currentSrc || img.src, width: img.naturalWidth, alt: img.alt })),
      );
      for (const image of images) {
        expect(image.width, `${checkRef} ${image.alt}`).toBeGreaterThan(0); // loaded: the policy let it through
        expect(image.alt).toMatch(/archived copy$/);
        const bytes = received.get(image.src);
        expect(bytes, image.src).toBeDefined();
        const key = decodeURIComponent(new URL(image.src).pathname).split('/').slice(2).join('/');
        const entry = manifest!.objects.find((o) => o.key === key);
        expect(entry, key).toBeDefined();
        expect(entry!.quarantined).toBeUndefined();
        expect(sha256(bytes!), key).toBe(entry!.sha256);
      }
      const quarantined = manifest?.objects.filter((o) => o.quarantined) ?? [];
      expect(await page.locator('figure.quarantined').count()).toBe(quarantined.length);
      expect(await page.locator('figure.quarantined img').count()).toBe(0);

      // Boxes are drawn over frames shown; a quarantined frame's box has nothing to be drawn on.
      const boxes = manifest?.objects.filter((o) => o.boundingBox !== undefined && !o.quarantined).length ?? 0;
      const drawn = await page.locator('.bbox:not([hidden])').count();
      expect(drawn, checkRef).toBe(boxes);
      boxesDrawn += drawn;

      if (!kycShot && provider === 'kyc' && (await page.locator('section.group h3', { hasText: 'selfie' }).count()) > 0 && quarantined.length === 0) {
        await page.screenshot({ path: join(SCREENSHOTS, 'console-check-kyc.png'), fullPage: true });
        kycShot = true;
        shown.kyc = checkRef;
      }
      if (!livenessShot && provider === 'liveness' && drawn > 0 && images.length <= 6) {
        // A box lies within its frame.
        const frame = await page.locator('figure[data-box] .media').first().boundingBox();
        const box = await page.locator('figure[data-box] .bbox').first().boundingBox();
        expect(box!.x).toBeGreaterThanOrEqual(frame!.x - 1);
        expect(box!.x + box!.width).toBeLessThanOrEqual(frame!.x + frame!.width + 1);
        await page.screenshot({ path: join(SCREENSHOTS, 'console-check-liveness.png'), fullPage: true });
        livenessShot = true;
        shown.liveness = checkRef;
      }
    }
    expect({ kycShot, livenessShot }).toEqual({ kycShot: true, livenessShot: true });
    expect(boxesDrawn).toBeGreaterThan(0);
    expect(cspViolations).toEqual([]);
  });

  it('exports every check: a zip whose SHA256SUMS hold (by the button for a KYC and a liveness check)', async () => {
    for (const { provider, checkRef } of checks) {
      const response = await context.request.get(`${origin}/check/${provider}/${checkRef}/bundle.zip`);
      expect(response.status(), checkRef).toBe(200);
      const file = join(dir, `${checkRef}.zip`);
      await writeFile(file, await response.body());
      const entries = readStoredZip(file);
      expect(entries.has('record.json')).toBe(true);
      for (const line of entries.get('SHA256SUMS')!.toString('utf8').trim().split('\n')) {
        const [hash, name] = line.split(/\s+/);
        expect(sha256(entries.get(name!)!), `${checkRef} ${name}`).toBe(hash);
      }
      await rm(file);
    }
    for (const provider of ['kyc', 'liveness'] as const) {
      const checkRef = shown[provider]!;
      await page.goto(`${origin}/check/${provider}/${checkRef}`);
      await page.click('text=Export and verify');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Export case (.zip)')]);
      expect(download.suggestedFilename()).toBe(`${provider}-${checkRef.slice(0, 12)}-case.zip`);
      const entries = readStoredZip(await download.path());
      expect([...entries.keys()].some((name) => name.startsWith('evidence/'))).toBe(true);
    }
  });

  it('verifies with a progress bar; the result is shown object by object, and for every check', async () => {
    await page.goto(`${origin}/check/liveness/${shown.liveness}/export`);
    await page.click('text=Verify this check now');
    await page.locator('.verdict').waitFor();
    expect(await page.locator('.verdict strong').textContent()).toBe('Verified');
    const bar = page.locator('#verify-progress');
    expect(await bar.isVisible()).toBe(true);
    expect(await bar.evaluate((el) => (el as unknown as ValueElement).value === (el as unknown as ValueElement).max)).toBe(true);
    const rows = await page.locator('table.objects tbody tr').count();
    expect(await page.locator('table.objects td.ok').count()).toBe(rows);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-verify.png'), fullPage: true });

    await page.goto(`${origin}/verify`);
    await page.click('text=Verify these checks now');
    await page.locator('.verdict').waitFor({ timeout: 60_000 });
    expect(await page.locator('.verdict').textContent()).toMatch(new RegExp(`^Verified: ${checks.length} checks:`));
  });

  it('is usable from the keyboard and prints one check without the controls', async () => {
    await page.goto(`${origin}/check/kyc/${shown.kyc}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as BrowserGlobal).document.activeElement?.textContent)).toBe('Skip to content');
    // A fold of the answer opens and closes with the keyboard.
    const fold = (await page.locator('ul.tree details:not([open]) > summary').first().elementHandle())!;
    await fold.focus();
    await page.keyboard.press('Enter');
    expect(await fold.evaluate((summary) => (summary as unknown as FoldElement).parentElement?.open)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await fold.evaluate((summary) => (summary as unknown as FoldElement).parentElement?.open)).toBe(false);

    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.site').isVisible()).toBe(false);
    expect(await page.locator('ul.actions').isVisible()).toBe(false);
    expect(await page.locator('#images-title').isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-check-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  });

  it('refuses another local page\'s requests, and a browser without the token', async () => {
    // A page on another port of 127.0.0.1: same site as the console, so the browser sends its SameSite cookie;
    // the Origin check is what stops it.
    const foreign: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><title>other</title><script>
        fetch(${JSON.stringify(`${origin}/?provider=kyc`)}, { credentials: 'include', mode: 'no-cors' }).finally(() => { document.title = 'sent'; });
      </script><a id="go" href="${origin}/">console</a>
      <form id="post" method="post" action="${origin}/find"><input name="provider" value="kyc"><input name="id" value="${'0'.repeat(32)}"><button>find</button></form>`);
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const other = await context.newPage();
      await other.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
      await other.waitForFunction(() => (globalThis as BrowserGlobal).document.title === 'sent');
      const [link] = await Promise.all([other.waitForNavigation(), other.click('#go')]);
      expect(link!.status()).toBe(403);
      expect(await other.textContent('body')).toContain('Forbidden');
      // A form post carries the page's Origin.
      await other.goBack();
      const [post] = await Promise.all([other.waitForNavigation(), other.click('#post button')]);
      expect(post!.status()).toBe(403);
      expect(await other.textContent('body')).toContain('another web page');
      await other.close();
    } finally {
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }

    const stranger = await browser.newContext();
    const strangerPage = await stranger.newPage();
    const refused = await strangerPage.goto(`${origin}/`);
    expect(refused!.status()).toBe(403);
    expect(await strangerPage.textContent('body')).toContain("does not carry the console's token");
    await stranger.close();

    const events = (await readFile(auditLog, 'utf8')).trim().split('\n').map((line) => JSON.parse(line).audit);
    const refusals = events.filter((e) => e.action === 'refused').map((e) => e.error);
    expect(refusals).toEqual(expect.arrayContaining(['origin', 'fetch-site', 'token']));
    // The trail: every check shown and exported, by the local reader.
    for (const { provider, checkRef } of checks) {
      expect(events.some((e) => e.action === 'show' && e.read?.checkRef === checkRef && e.read?.provider === provider), checkRef).toBe(true);
      expect(events.some((e) => e.action === 'export' && e.read?.checkRef === checkRef), checkRef).toBe(true);
    }
    expect(events.filter((e) => e.action !== 'refused').every((e) => e.caller.userArn === 'local')).toBe(true);
  });
});
