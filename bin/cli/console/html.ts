/**
 * HTML built from templates that escape every value: archive content (provider answers, reasons, keys) is never
 * trusted, and may hold markup, terminal escapes or bidi overrides. Only fragments built here, or constants wrapped in
 * `raw`, are inserted unescaped.
 */

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

/**
 * Escapes markup characters and makes invisible controls visible: C0 controls (ESC of a terminal sequence among them)
 * become their Unicode control pictures (␛), C1 controls and bidi overrides a ⟨U+XXXX⟩ marker, so text from a
 * provider can neither inject markup nor reorder what an auditor reads. Tabs and newlines stay.
 */
export function escapeText(text: string): string {
  return text.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const entity = ENTITIES[c];
    if (entity) return entity;
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\u27e8U+${code.toString(16).toUpperCase().padStart(4, '0')}\u27e9`;
  });
}

/** A query string from parameters, empty values left out. */
export function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}
