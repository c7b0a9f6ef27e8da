/**
 * The provider's answer (result.json) as a tree an auditor can read and fold: objects and arrays are <details>
 * elements (keyboard-operable, no script), the first levels open. Bounded: very long strings are cut and very large
 * answers stop after MAX_NODES, with the raw JSON one click away on the page. References to archived images link to
 * their figure on the page.
 */
import { html, type Html } from './html';

const MAX_NODES = 4000;
const MAX_STRING = 400;
const OPEN_DEPTH = 2;

export interface TreeOptions {
  /** The page anchor of an archived object, by its full key (result.json's `archivedKey`). */
  anchorOf?: (archivedKey: string) => string | undefined;
}

export function answerTree(value: unknown, options: TreeOptions = {}): Html {
  let nodes = 0;
  let cut = false;

  const leaf = (v: unknown): Html => {
    if (v === null) return html`<span class="v-null">null</span>`;
    if (typeof v === 'string') {
      const shown = v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v;
      const more = v.length > MAX_STRING ? html` <span class="note">(${v.length - MAX_STRING} more characters)</span>` : '';
      return html`<span class="v-string">"${shown}"</span>${more}`;
    }
    if (typeof v === 'number') return html`<span class="v-number">${String(v)}</span>`;
    if (typeof v === 'boolean') return html`<span class="v-boolean">${String(v)}</span>`;
    return html`<span class="note">${typeof v}</span>`;
  };

  const node = (label: Html, v: unknown, depth: number): Html => {
    nodes++;
    if (nodes > MAX_NODES) {
      cut = true;
      return html``;
    }
    if (v === null || typeof v !== 'object') return html`<li>${label}${leaf(v)}</li>`;
    const entries: Array<[Html, unknown]> = Array.isArray(v)
      ? v.map((item, i) => [html`<span class="key index">${i}</span>: `, item])
      : Object.entries(v).map(([key, item]) => [html`<span class="key">${key}</span>: `, item]);
    const size = Array.isArray(v) ? `[${v.length} item${v.length === 1 ? '' : 's'}]` : `{${entries.length} field${entries.length === 1 ? '' : 's'}}`;
    const archivedKey = (v as Record<string, unknown>).archivedKey;
    const anchor = typeof archivedKey === 'string' ? options.anchorOf?.(archivedKey) : undefined;
    const link = anchor ? html` <a href="#${anchor}">archived image</a>` : '';
    if (entries.length === 0) return html`<li>${label}<span class="note">${Array.isArray(v) ? '[]' : '{}'}</span></li>`;
    const children = entries.map(([childLabel, item]) => node(childLabel, item, depth + 1));
    return html`<li><details${depth < OPEN_DEPTH ? ' open' : ''}><summary>${label}<span class="note">${size}</span>${link}</summary><ul>${children}</ul></details></li>`;
  };

  const root = node(html`<span class="key">answer</span>: `, value, 0);
  return html`<ul class="tree">${root}</ul>${cut ? html`<p class="note">The answer is larger than ${MAX_NODES} values: the rest is in the raw JSON.</p>` : ''}`;
}
