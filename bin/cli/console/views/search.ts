/** The search page: the `query` filters as a form, one page of records, counts by outcome and status, paging. */
import { PROVIDERS, type QueryPage } from '../../../../lambdas/audit';
import { STATUS_RANK, type CheckRecord } from '../../../../lambdas/records/record';
import { html, queryString, type Html } from '../html';
import { bytesText, timeText } from './format';

/** The form's fields, as strings from the URL (empty = not filtered). */
export interface SearchForm {
  provider?: string;
  from?: string;
  to?: string;
  outcome?: string;
  status?: string;
  clientKeyHash?: string;
  order?: string;
  limit?: string;
  next?: string;
}

export const SEARCH_FIELDS = ['provider', 'from', 'to', 'outcome', 'status', 'clientKeyHash', 'order', 'limit', 'next'] as const;

export interface Counts {
  total: number;
  /** Counting stopped at this many records. */
  capped: boolean;
  byOutcome: Array<[string, number]>;
  byStatus: Array<[string, number]>;
}

export interface SearchView {
  form: SearchForm;
  page?: QueryPage;
  counts?: Counts;
  /** A filter the core refused, in its words. */
  error?: string;
}

const LIMITS = ['25', '50', '100', '200'];

export function searchMain(view: SearchView): Html {
  const { form } = view;
  return html`<h1>Find checks</h1>
${filterForm(form)}
${findForm()}
${view.error ? html`<div class="error" role="alert"><h2>These filters cannot be used</h2><p>${view.error}</p></div>` : ''}
${view.counts ? countsSection(form, view.counts) : ''}
${view.page ? results(form, view.page) : ''}`;
}

function filterForm(form: SearchForm): Html {
  const option = (value: string, label: string, selected: string | undefined) =>
    html`<option value="${value}"${(selected ?? '') === value ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="/" role="search" aria-labelledby="filters-title">
<h2 id="filters-title">Filters</h2>
<div class="fields">
<p><label for="f-provider">Provider</label>
<select id="f-provider" name="provider">${option('', 'all providers', form.provider)}${PROVIDERS.map((p) => option(p, p, form.provider))}</select></p>
<p><label for="f-from">Created from</label> <input id="f-from" name="from" type="${dateInputType(form.from)}" value="${form.from ?? ''}" aria-describedby="dates-help"></p>
<p><label for="f-to">Created to</label> <input id="f-to" name="to" type="${dateInputType(form.to)}" value="${form.to ?? ''}" aria-describedby="dates-help"></p>
<p><label for="f-outcome">Outcome</label> <input id="f-outcome" name="outcome" value="${form.outcome ?? ''}" placeholder="passed, failed, success…" aria-describedby="list-help"></p>
<p><label for="f-status">Record status</label>
<select id="f-status" name="status">${option('', 'any status', form.status)}${Object.keys(STATUS_RANK).map((s) => option(s, s, form.status))}</select></p>
<p><label for="f-client">Client key hash</label> <input id="f-client" name="clientKeyHash" value="${form.clientKeyHash ?? ''}" pattern="[0-9a-f]{32}" size="34" aria-describedby="client-help"></p>
<p><label for="f-order">Order</label>
<select id="f-order" name="order">${option('asc', 'oldest first', form.order ?? 'asc')}${option('desc', 'newest first', form.order)}</select></p>
<p><label for="f-limit">Per page</label>
<select id="f-limit" name="limit">${LIMITS.map((l) => option(l, l, form.limit ?? '50'))}</select></p>
</div>
<p id="dates-help" class="help">Dates are UTC days of the check's creation (a date-time with zone, such as 2026-03-19T10:00:00Z, works in the URL too). Without dates: the last 30 days, or everything when you filter by outcome or client.</p>
<p id="list-help" class="help">Several outcomes: separate them with commas.</p>
<p id="client-help" class="help">The 32-character clientKeyHash a KYC check shows (the key itself is never typed here, so it stays out of URLs and history).</p>
<p><button type="submit">Search</button> <a href="/">Clear filters</a></p>
</form>`;
}

/** A date picker for a day; a plain field for a date-time given in the URL, which a picker could not show. */
function dateInputType(value: string | undefined): 'date' | 'text' {
  return value === undefined || /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'date' : 'text';
}

function findForm(): Html {
  return html`<form class="find" method="post" action="/find" aria-labelledby="find-title">
<h2 id="find-title">Go to one check</h2>
<p><label for="g-provider">Provider</label>
<select id="g-provider" name="provider">${PROVIDERS.map((p) => html`<option value="${p}">${p}</option>`)}</select>
<label for="g-id">checkRef, its first 12 characters, or the provider's check id</label>
<input id="g-id" name="id" required maxlength="512" autocomplete="off" spellcheck="false">
<button type="submit">Open</button></p>
<p class="help">Sent in the request body, not the URL: a liveness check id is a bearer token. Only its hash is looked up.</p>
</form>`;
}

function countsSection(form: SearchForm, counts: Counts): Html {
  const base = { ...form, next: undefined };
  const list = (name: 'outcome' | 'status', entries: Array<[string, number]>) =>
    entries.length === 0
      ? html`<p>none</p>`
      : html`<ul class="counts">${entries.map(
          ([value, n]) => html`<li><a href="/${queryString({ ...base, [name]: value })}">${value}</a> <span class="count">${n}</span></li>`,
        )}</ul>`;
  return html`<section aria-labelledby="counts-title" class="counts-section">
<h2 id="counts-title">${counts.capped ? `At least ${counts.total}` : String(counts.total)} check${counts.total === 1 ? '' : 's'} match</h2>
${counts.capped ? html`<p class="note">Counting stopped at ${counts.total} records; narrow the filters for exact counts.</p>` : ''}
<div class="count-groups">
<div><h3>By outcome</h3>${list('outcome', counts.byOutcome)}</div>
<div><h3>By record status</h3>${list('status', counts.byStatus)}</div>
</div>
<p><a href="/verify${queryString(base)}">Verify every matching check</a></p>
</section>`;
}

function results(form: SearchForm, page: QueryPage): Html {
  const { next: _next, ...filters } = form;
  const rows = page.items.map((record) => row(record));
  return html`<section aria-labelledby="results-title">
<h2 id="results-title">Checks on this page: ${page.items.length}</h2>
${page.items.length === 0
  ? html`<p>No checks on this page.${page.next ? ' Records past their retention are filtered after they are read, so a page can be empty: follow the next page.' : ''}</p>`
  : html`<table class="results">
<caption class="visually-hidden">Checks matching the filters</caption>
<thead><tr><th scope="col">Created (UTC)</th><th scope="col">Provider</th><th scope="col">checkRef</th><th scope="col">Status</th><th scope="col">Outcome</th><th scope="col">Objects</th><th scope="col">Size</th><th scope="col">Retained until</th><th scope="col">Hold</th></tr></thead>
<tbody>${rows}</tbody>
</table>`}
<nav class="paging" aria-label="Pages">
${form.next ? html`<a href="/${queryString(filters)}">First page</a>` : ''}
${page.next ? html`<a href="/${queryString({ ...filters, next: page.next })}" rel="next">Next page</a>` : ''}
</nav>
</section>`;
}

function row(record: CheckRecord): Html {
  return html`<tr>
<td>${timeText(record.createdAt)}</td>
<td>${record.provider}</td>
<td><a href="/check/${record.provider}/${record.checkRef}"><code>${record.checkRef}</code></a></td>
<td>${record.status}</td>
<td>${record.outcome}</td>
<td class="num">${record.objects}</td>
<td class="num">${bytesText(record.bytes)}</td>
<td>${record.retainUntil.slice(0, 10)}</td>
<td>${record.legalHold ? 'held' : ''}</td>
</tr>`;
}
