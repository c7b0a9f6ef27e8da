/**
 * Text from providers reaches auditors' terminals, spreadsheets and pages. Records are cleaned when written, but the
 * archive may hold older or altered text: whatever prints it makes invisible controls visible, so an ESC sequence
 * cannot restyle, move or hide what an auditor reads, and a bidi override cannot reorder it.
 */

/** C0 controls (but tab, newline, carriage return), DEL, C1 controls, bidi marks, embeddings, overrides and isolates. */
export const INVISIBLE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Any invisible control, a lone carriage return included (it rewrites a terminal line); tab, newline, CRLF stay. */
const LINE_CONTROLS = new RegExp(`${INVISIBLE_CONTROLS.source}|\\r(?!\\n)`, 'g');
/** In a table or CSV cell a tab or newline would break the layout too. */
const CELL_CONTROLS = new RegExp(`${INVISIBLE_CONTROLS.source}|[\\t\\n\\r]`, 'g');

/** A C0 control as its Unicode control picture (␛ for ESC), DEL as ␡, the others as ⟨U+XXXX⟩. */
export function pictureOf(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\u27e8U+${code.toString(16).toUpperCase().padStart(4, '0')}\u27e9`;
}

/** Text for a terminal line: invisible controls shown as pictures; tabs, newlines and CRLF (CSV) kept. */
export function printable(text: string): string {
  return text.replace(LINE_CONTROLS, pictureOf);
}

/** Text for one table or CSV cell: every control shown as a picture, tabs and newlines included. */
export function cellText(text: string): string {
  return text.replace(CELL_CONTROLS, pictureOf);
}

/** JSON whose strings carry no raw C1 control or bidi mark (JSON.stringify escapes only C0): still valid JSON. */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
