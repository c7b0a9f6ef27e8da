/**
 * The console's routes. Each reads the archive through the auditor core (lambdas/audit), fills in what it read for
 * the audit event, and answers a page, a download or an NDJSON progress stream. Pages name checks by provider and
 * checkRef only: a provider's check id (a liveness id is a bearer token) is accepted in a POST body, hashed, and
 * never appears in a URL.
 *
 *   GET  /                                     search: filters, one page, counts by outcome and status
 *   POST /find                                 provider + checkRef, prefix or check id → 303 to the check
 *   GET  /check/{provider}/{checkRef}          one check (a unique prefix redirects to the full checkRef)
 *   GET  /check/{provider}/{checkRef}/export   export and verify page (?run=1 verifies without script)
 *   GET  /check/{provider}/{checkRef}/bundle.zip      the case bundle, verified while written
 *   GET  /check/{provider}/{checkRef}/verify.ndjson   verification progress, then the result
 *   GET  /verify, /verify.ndjson               the same for every check the search filters match
 *   GET  /assets/console.css, /assets/console.js
 */
import { createReadStream, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  InvalidQueryError,
  VerificationFailedError,
  allRecords,
  findRecord,
  presignGetObject,
  publicRecordOf,
  queryRecords,
  showCheck,
  verifyMany,
  type AuditDeps,
  type RawQuery,
} from '../../../lambdas/audit';
import { prefixOf } from '../../../lambdas/audit/archive-reader';
import type { CheckRecord } from '../../../lambdas/records/record';
import { countRecords, exportZip, listedObjects, verifyOne } from './archive';
import type { ConsoleAction } from './audit-log';
import { html, htmlText, type Html } from './html';
import { checkMain, checkPath } from './views/check';
import { errorMain } from './views/error';
import { page } from './views/layout';
import { SEARCH_FIELDS, searchMain, type SearchForm } from './views/search';
import { bulkVerifyMain, checkResult, exportMain, summaryResult } from './views/verify';

export interface RouteDeps {
  deps: AuditDeps;
  /** Shown in every page's header. */
  targetLabel: string;
  /** Lifetime of presigned image URLs, seconds. */
  expiresIn: number;
}

/** What a handler records for the audit event. */
export interface AuditNote {
  action: ConsoleAction;
  read?: Record<string, unknown>;
  /** The error's name, when a handler answered an error itself (a 400 page that keeps the form). */
  error?: string;
}

export interface RequestContext {
  url: URL;
  /** The urlencoded body of a POST (bounded). */
  form(): Promise<URLSearchParams>;
  audit: AuditNote;
}

export type Reply =
  | { status: number; type: string; body: string | Buffer; headers?: Record<string, string> }
  | { status: number; type: string; stream: (write: (line: unknown) => void) => Promise<void> }
  | { status: number; type: string; file: Readable; headers: Record<string, string>; finished: () => Promise<void> };

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** Static files are not archive reads: no audit event. */
  audited: boolean;
  handle(ctx: RequestContext, match: string[], r: RouteDeps): Promise<Reply>;
}

const HTML_TYPE = 'text/html; charset=utf-8';
const FULL_REF = '([0-9a-f]{32})';
const PROVIDER = '([a-z]{1,20})';

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'console.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./assets/console.css', import.meta.url)) },
  'console.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./assets/console.js', import.meta.url)) },
};

export const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/$/, audited: true, handle: search },
  { method: 'POST', pattern: /^\/find$/, audited: true, handle: find },
  { method: 'GET', pattern: new RegExp(`^/check/${PROVIDER}/([0-9a-fA-F]{8,32})$`), audited: true, handle: show },
  { method: 'GET', pattern: new RegExp(`^/check/${PROVIDER}/${FULL_REF}/export$`), audited: true, handle: exportPage },
  { method: 'GET', pattern: new RegExp(`^/check/${PROVIDER}/${FULL_REF}/bundle\\.zip$`), audited: true, handle: bundle },
  { method: 'GET', pattern: new RegExp(`^/check/${PROVIDER}/${FULL_REF}/verify\\.ndjson$`), audited: true, handle: verifyCheckStream },
  { method: 'GET', pattern: /^\/verify$/, audited: true, handle: bulkVerifyPage },
  { method: 'GET', pattern: /^\/verify\.ndjson$/, audited: true, handle: bulkVerifyStream },
  { method: 'GET', pattern: /^\/assets\/(console\.css|console\.js)$/, audited: false, handle: asset },
  { method: 'GET', pattern: /^\/favicon\.ico$/, audited: false, handle: async () => ({ status: 204, type: 'text/plain', body: '' }) },
];

export function htmlReply(status: number, r: RouteDeps, title: string, main: Html, current?: 'search' | 'verify'): Reply {
  return { status, type: HTML_TYPE, body: page({ title, main, target: r.targetLabel, ...(current ? { current } : {}) }) };
}

export function errorReply(status: number, r: RouteDeps, title: string, message: string, requestId?: string): Reply {
  return htmlReply(status, r, title, errorMain(title, message, requestId));
}

// --- search -----------------------------------------------------------------------------------------------------

function searchFormOf(url: URL): SearchForm {
  const form: SearchForm = {};
  for (const name of SEARCH_FIELDS) {
    const value = url.searchParams.get(name)?.trim();
    if (value) form[name] = value;
  }
  return form;
}

function rawQueryOf(form: SearchForm): RawQuery {
  const { provider, from, to, outcome, status, clientKeyHash, order } = form;
  return Object.fromEntries(Object.entries({ provider, from, to, outcome, status, clientKeyHash, order }).filter(([, v]) => v !== undefined));
}

async function search(ctx: RequestContext, _match: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'query';
  const form = searchFormOf(ctx.url);
  const raw = rawQueryOf(form);
  try {
    const result = await queryRecords(r.deps, { ...raw, ...(form.limit ? { limit: form.limit } : {}), ...(form.next ? { next: form.next } : {}) });
    const counts = await countRecords(r.deps, raw);
    ctx.audit.read = {
      filters: result.filters,
      returned: result.items.length,
      checks: result.items.map((record) => `${record.provider}#${record.checkRef}`),
      more: result.next !== undefined,
      counted: counts.total,
    };
    return htmlReply(200, r, 'Find checks', searchMain({ form, page: result, counts }), 'search');
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    ctx.audit.error = error.name;
    return htmlReply(400, r, 'Find checks', searchMain({ form, error: error.message }), 'search');
  }
}

async function find(ctx: RequestContext, _match: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'find';
  const body = await ctx.form();
  const record = await findRecord(r.deps, body.get('provider') ?? '', body.get('id')?.trim() ?? '', { prefix: true });
  ctx.audit.read = { provider: record.provider, checkRef: record.checkRef };
  return redirect(303, checkPath(record.provider, record.checkRef));
}

// --- one check --------------------------------------------------------------------------------------------------

async function recordOf(ctx: RequestContext, r: RouteDeps, provider: string, ref: string, prefix = false): Promise<CheckRecord> {
  ctx.audit.read = { provider: provider.slice(0, 20) };
  const record = await findRecord(r.deps, provider, ref.toLowerCase(), { prefix });
  ctx.audit.read = { provider: record.provider, checkRef: record.checkRef };
  return record;
}

async function show(ctx: RequestContext, [, provider, ref]: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'show';
  const record = await recordOf(ctx, r, provider!, ref!, true);
  if (record.checkRef !== ref) return redirect(302, checkPath(record.provider, record.checkRef));
  const shown = await showCheck(r.deps, record, { expiresIn: r.expiresIn });
  // The answer as received is a download: it is whatever the provider sent (answer.bin when it was not JSON).
  const answerDownload = record.answerKey
    ? await presignGetObject(r.deps.s3, r.deps.bucket, record.answerKey, r.expiresIn, { fileName: `${record.provider}-${record.checkRef.slice(0, 12)}-${record.answerKey.slice(record.answerKey.lastIndexOf('/') + 1)}` })
    : undefined;
  ctx.audit.read = {
    provider: record.provider,
    checkRef: record.checkRef,
    result: shown.result !== undefined,
    presignedImages: shown.images.length,
    urlsExpireAt: shown.urlsExpireAt,
  };
  const prefix = prefixOf(record);
  const main = checkMain({ shown, now: r.deps.now(), ...(prefix ? { prefix } : {}), ...(answerDownload ? { answerDownload } : {}) });
  return htmlReply(200, r, `${record.provider} check ${record.checkRef.slice(0, 12)}`, main);
}

async function exportPage(ctx: RequestContext, [, provider, ref]: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'show';
  const record = await recordOf(ctx, r, provider!, ref!);
  let result: Html | undefined;
  if (ctx.url.searchParams.get('run') === '1') {
    ctx.audit.action = 'verify';
    const { report, objects } = await verifyOne(r.deps, record);
    ctx.audit.read = verifyRead([report]);
    result = checkResult(report, objects);
  } else {
    ctx.audit.read = { provider: record.provider, checkRef: record.checkRef, page: 'export' };
  }
  return htmlReply(200, r, `Export and verify ${record.provider} check ${record.checkRef.slice(0, 12)}`, exportMain(publicRecordOf(record), result));
}

async function bundle(ctx: RequestContext, [, provider, ref]: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'export';
  const record = await recordOf(ctx, r, provider!, ref!);
  const name = `${record.provider}-${record.checkRef.slice(0, 12)}-case.zip`;
  let made;
  try {
    made = await exportZip(r.deps, record, name);
  } catch (error) {
    if (!(error instanceof VerificationFailedError)) throw error;
    // Refused: nothing was written; the page says what did not verify, object by object.
    ctx.audit.read = { ...verifyRead([error.report]), refused: true };
    const main = html`<div class="error" role="alert"><h1>Export refused</h1><p>${error.message}. No bundle was written.</p></div>
${checkResult(error.report, await listedObjects(r.deps, record))}
<p><a href="${checkPath(record.provider, record.checkRef)}">Back to the check</a></p>`;
    return htmlReply(409, r, 'Export refused', main);
  }
  ctx.audit.read = {
    provider: record.provider,
    checkRef: record.checkRef,
    objects: made.result.report.objectsVerified,
    bytes: made.result.evidenceBytes,
    bundleBytes: made.bytes,
    bundleSha256: made.sha256,
  };
  return {
    status: 200,
    type: 'application/zip',
    file: createReadStream(made.path),
    headers: { 'content-disposition': `attachment; filename="${name}"`, 'content-length': String(made.bytes) },
    finished: made.remove,
  };
}

// --- verification -----------------------------------------------------------------------------------------------

function verifyRead(reports: Array<{ provider: string; checkRef: string; ok: boolean; objectsVerified: number; bytesVerified: number }>): Record<string, unknown> {
  return {
    checks: reports.map((report) => `${report.provider}#${report.checkRef}`),
    failed: reports.filter((report) => !report.ok).length,
    objects: reports.reduce((sum, report) => sum + report.objectsVerified, 0),
    bytes: reports.reduce((sum, report) => sum + report.bytesVerified, 0),
  };
}

/** Progress lines at most this often (and always the last). */
const PROGRESS_INTERVAL_MS = 100;

function throttled(write: (line: unknown) => void): (line: unknown) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    write(line);
  };
}

async function verifyCheckStream(ctx: RequestContext, [, provider, ref]: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'verify';
  const record = await recordOf(ctx, r, provider!, ref!);
  return {
    status: 200,
    type: 'application/x-ndjson; charset=utf-8',
    async stream(write) {
      const total = Math.max(record.bytes, 1);
      write({ type: 'start', unit: 'bytes', total });
      let bytes = 0;
      const progress = throttled(write);
      const { report, objects } = await verifyOne(r.deps, record, (n) => {
        bytes += n;
        progress({ type: 'progress', done: Math.min(bytes, total), total });
      });
      write({ type: 'progress', done: total, total });
      ctx.audit.read = verifyRead([report]);
      write({ type: 'done', ok: report.ok, html: htmlText(checkResult(report, objects)) });
    },
  };
}

async function recordsOf(r: RouteDeps, form: SearchForm): Promise<CheckRecord[]> {
  const records: CheckRecord[] = [];
  for await (const record of allRecords(r.deps, rawQueryOf(form))) records.push(record);
  return records;
}

async function bulkVerifyPage(ctx: RequestContext, _match: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'verify';
  const form = searchFormOf(ctx.url);
  try {
    if (ctx.url.searchParams.get('run') !== '1') {
      ctx.audit.read = { filters: rawQueryOf(form), page: 'verify' };
      return htmlReply(200, r, 'Verify checks', bulkVerifyMain(form), 'verify');
    }
    const summary = await verifyMany(r.deps, await recordsOf(r, form));
    ctx.audit.read = { filters: rawQueryOf(form), ...verifyRead(summary.reports) };
    return htmlReply(200, r, 'Verify checks', bulkVerifyMain(form, summaryResult(summary)), 'verify');
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    ctx.audit.error = error.name;
    return htmlReply(400, r, 'Verify checks', searchMain({ form, error: error.message }), 'verify');
  }
}

async function bulkVerifyStream(ctx: RequestContext, _match: string[], r: RouteDeps): Promise<Reply> {
  ctx.audit.action = 'verify';
  const form = searchFormOf(ctx.url);
  // Filters are checked (and records listed) before the stream starts, so a bad filter is a plain 400.
  const records = await recordsOf(r, form);
  return {
    status: 200,
    type: 'application/x-ndjson; charset=utf-8',
    async stream(write) {
      const total = records.length;
      write({ type: 'start', unit: 'checks', total });
      const progress = throttled(write);
      let done = 0;
      const summary = await verifyMany(r.deps, records, {
        onCheck: (_report, count) => {
          done = count;
          progress({ type: 'progress', done, total });
        },
      });
      write({ type: 'progress', done: total, total });
      ctx.audit.read = { filters: rawQueryOf(form), ...verifyRead(summary.reports) };
      write({ type: 'done', ok: summary.failed === 0, html: htmlText(summaryResult(summary)) });
    },
  };
}

// --- the rest ---------------------------------------------------------------------------------------------------

async function asset(_ctx: RequestContext, [, name]: string[]): Promise<Reply> {
  const file = ASSETS[name!]!;
  return { status: 200, type: file.type, body: file.body };
}

function redirect(status: 302 | 303, location: string): Reply {
  return { status, type: 'text/plain; charset=utf-8', body: '', headers: { location } };
}
