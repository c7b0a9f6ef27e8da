/**
 * HTML built from templates that escape every value: archive content (provider answers, reasons, keys) is never
 * trusted, and may hold markup, terminal escapes or bidi overrides. Only fragments built here, or constants wrapped in
 * `raw`, are inserted unescaped.
 */

import { INVISIBLE_CONTROLS, pictureOf } from '../printable';

const HTML = Symbol('html');

/** A fragment that is already HTML (escaped where needed). */
export interface Html {
  readonly [HTML]: string;
}

export function raw(text: string): Html {
  return { [HTML]: text };
}

export function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && HTML in value;
}

export function htmlText(fragment: Html): string {
  return fragment[HTML];
}

/**
 * `html\`<p>${value}</p>\``: strings and numbers are escaped, fragments inserted as they are, arrays joined,
 * undefined/null/false left out.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return raw(out);
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (isHtml(value)) return value[HTML];
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeText(String(value));
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const MARKUP_OR_CONTROL = new RegExp(`[&<>"']|${INVISIBLE_CONTROLS.source}`, 'g');

/**
 * Escapes markup characters and makes invisible controls visible: C0 controls (ESC of a terminal sequence among them)
 * become their Unicode control pictures (␛), C1 controls and bidi overrides a ⟨U+XXXX⟩ marker, so text from a
 * provider can neither inject markup nor reorder what an auditor reads. Tabs and newlines stay.
 */
export function escapeText(text: string): string {
  return text.replace(MARKUP_OR_CONTROL, (c) => ENTITIES[c] ?? pictureOf(c));
}

/** A query string from parameters, empty values left out. */
export function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}
