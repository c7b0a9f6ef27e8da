/**
 * Export and verify. One check: the zip bundle, and a verification with a progress bar whose result is shown object
 * by object. Many checks (the search filters): a verification per check, problems listed by object. The progress
 * bar needs the page's script (it reads the server's NDJSON stream); without it the same form runs the verification
 * in one request and the page comes back with the result.
 */
import type { CheckVerification, PublicRecord, VerifySummary } from '../../../../lambdas/audit';
import { html, queryString, type Html } from '../html';
import { checkPath } from './check';
import { bytesText } from './format';
import type { SearchForm } from './search';

/** An object the manifest lists, relative to the check's folder. */
export interface ListedObject {
  key: string;
  sha256: string;
  bytes: number;
}

export function exportMain(record: PublicRecord, result?: Html): Html {
  const path = checkPath(record.provider, record.checkRef);
  return html`<h1>Export and verify: ${record.provider} check <code class="ref">${record.checkRef}</code></h1>
<p><a href="${path}">Back to the check</a></p>
<section aria-labelledby="export-title">
<h2 id="export-title">Export the case</h2>
<p>A zip of the record, every archived object byte for byte (manifest.json, result.json, the answer as received, every
image), SHA256SUMS and VERIFICATION.json. Every object is checked against its manifest sha256 while the bundle is
written; if anything does not match, no bundle is given. Check it later, anywhere: unzip it and run
<code>sha256sum -c SHA256SUMS</code> in its folder.</p>
<p><a class="button" href="${path}/bundle.zip" download>Export case (.zip)</a></p>
</section>
${verifyForm({ action: `${path}/export`, stream: `${path}/verify.ndjson`, hidden: {}, label: 'Verify this check now', result })}`;
}

export function bulkVerifyMain(form: SearchForm, result?: Html): Html {
  const { next: _next, limit: _limit, ...filters } = form;
  const named = Object.entries(filters).filter(([, value]) => value);
  return html`<h1>Verify checks</h1>
<p>Reads back every archived object of every matching check, recomputes its sha256 and size, and compares them with
the manifest, and the manifest with the record.</p>
<p>${named.length === 0
    ? 'Checks created in the last 30 days (no filters).'
    : html`Filters: ${named.map(([name, value], i) => html`${i > 0 ? ', ' : ''}${name} <code>${value}</code>`)}.`} <a href="/${queryString(filters)}">Change them on the search page</a>.</p>
${verifyForm({ action: '/verify', stream: `/verify.ndjson${queryString(filters)}`, hidden: filters, label: 'Verify these checks now', result })}`;
}

function verifyForm(options: { action: string; stream: string; hidden: Record<string, string | undefined>; label: string; result?: Html }): Html {
  return html`<section aria-labelledby="verify-title">
<h2 id="verify-title">Verify</h2>
<form class="verify" method="get" action="${options.action}" data-stream="${options.stream}">
${Object.entries(options.hidden).map(([name, value]) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : ''))}
<input type="hidden" name="run" value="1">
<button type="submit">${options.label}</button>
</form>
<div class="progress" hidden>
<label for="verify-progress" id="verify-progress-label">Verifying…</label>
<progress id="verify-progress" max="100" value="0"></progress>
<span class="progress-text" aria-live="polite"></span>
</div>
<div class="verify-result" aria-live="polite">${options.result ?? ''}</div>
</section>`;
}

function verdict(ok: boolean, text: string): Html {
  return html`<p class="verdict ${ok ? 'ok' : 'failed'}" role="status"><strong>${ok ? 'Verified' : 'FAILED'}</strong>: ${text}</p>`;
}

/** One check, object by object: the manifest's sha256 and size, and what reading the object back found. */
export function checkResult(report: CheckVerification, objects: ListedObject[]): Html {
  const byKey = new Map<string, string[]>();
  const other: string[] = [];
  const listed = new Set(objects.map((o) => o.key));
  for (const problem of report.problems) {
    if (problem.key && (listed.has(problem.key) || problem.key === 'manifest.json')) byKey.set(problem.key, [...(byKey.get(problem.key) ?? []), `${problem.kind}: ${problem.detail}`]);
    else other.push(`${problem.kind}${problem.key ? ` ${problem.key}` : ''}: ${problem.detail}`);
  }
  // An unreadable manifest ends verification before any object is read (and counted).
  const manifestUnread = report.objectsVerified === 0 && report.problems.some((p) => p.kind === 'manifest-missing' || p.kind === 'manifest-invalid');
  const cell = (key: string) => {
    const problems = byKey.get(key);
    if (problems) return html`<td class="failed">${problems.map((p, i) => html`${i > 0 ? html`<br>` : ''}${p}`)}</td>`;
    if (manifestUnread) return html`<td>not verified (the manifest could not be read)</td>`;
    return html`<td class="ok">sha256 and size match</td>`;
  };
  const text = report.ok
    ? `${report.objectsVerified} objects, ${bytesText(report.bytesVerified)}, match the manifest sha256s and the record`
    : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in the archive of this check`;
  return html`${verdict(report.ok, text)}
<table class="objects">
<caption>Every object of the check</caption>
<thead><tr><th scope="col">Object</th><th scope="col">sha256 in the manifest</th><th scope="col">Size</th><th scope="col">Result</th></tr></thead>
<tbody>
<tr><td><code>manifest.json</code></td><td>anchored in the record</td><td></td>${cell('manifest.json')}</tr>
${objects.map((o) => html`<tr><td><code>${o.key}</code></td><td><code class="hash">${o.sha256}</code></td><td class="num">${bytesText(o.bytes)}</td>${cell(o.key)}</tr>`)}
</tbody>
</table>
${other.length > 0 ? html`<h3>Other problems</h3><ul class="problems">${other.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
${report.missingAtArchive > 0 ? html`<p class="note">${report.missingAtArchive} image(s) were already missing when the check was archived (not a failure: the manifest says why).</p>` : ''}`;
}

/** Many checks: one row each, and the problems of those that failed, object by object. */
export function summaryResult(summary: VerifySummary): Html {
  if (summary.checks === 0) return verdict(true, 'no checks match these filters: nothing to verify');
  const text =
    summary.failed === 0
      ? `${summary.checks} checks: ${summary.objects} objects, ${bytesText(summary.bytes)}, match their manifests and records`
      : `${summary.failed} of ${summary.checks} checks have missing or altered objects`;
  return html`${verdict(summary.failed === 0, text)}
<table class="objects">
<caption>Every check verified</caption>
<thead><tr><th scope="col">Provider</th><th scope="col">checkRef</th><th scope="col">Status</th><th scope="col">Result</th><th scope="col">Objects</th><th scope="col">Size</th><th scope="col">Problems</th></tr></thead>
<tbody>${summary.reports.map(
    (r) => html`<tr><td>${r.provider}</td><td><a href="${checkPath(r.provider, r.checkRef)}"><code>${r.checkRef}</code></a></td><td>${r.status}</td><td class="${r.ok ? 'ok' : 'failed'}">${r.ok ? 'ok' : 'FAILED'}</td><td class="num">${r.objectsVerified}</td><td class="num">${bytesText(r.bytesVerified)}</td><td>${r.ok
      ? ''
      : html`<ul class="problems">${r.problems.map((p) => html`<li>${p.kind}${p.key ? html` <code>${p.key}</code>` : ''}: ${p.detail}</li>`)}</ul>`}</td></tr>`,
  )}</tbody>
</table>`;
}
