/**
 * Lenient reading of provider answers. The documents type almost nothing, and real providers send nulls, numbers as
 * strings, timestamps without an offset and fields nobody announced. A value is read if it can be read at all; null
 * means "not given"; what cannot be read is noted by its path (never its value) and the answer is still used.
 */
import type { Drift } from '../checks/check-status';

/** At most this many paths are noted: an answer drifted that far is noted as such, not listed whole. */
const MAX_PATHS = 40;
/** Epoch numbers below this are seconds (1e11 s is the year 5138), at or above it milliseconds. */
const EPOCH_MS_THRESHOLD = 1e11;
const NUMBER_TEXT = /^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const ISO_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$/;

/** How a documented field is read. `text` takes strings, numbers and booleans alike. */
export type FieldKind = 'text' | 'number' | 'boolean' | 'time' | 'any';
/** A documented shape: a field kind, an object of documented fields, or an array of one shape. */
export type Shape = FieldKind | { object: Record<string, Shape> } | { array: Shape };

export type Path = ReadonlyArray<string | number>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `results[0].ocr.fields[2].value` */
export function formatPath(path: Path): string {
  if (path.length === 0) return '(body)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${key}`)).join('');
}

/** One answer being read: its values, and what could not be read. */
export class Reading {
  private readonly uninterpreted: string[] = [];
  private readonly readAsUtc: string[] = [];

  /** Notes a path whose value could not be interpreted. */
  flag(path: Path): void {
    note(this.uninterpreted, formatPath(path));
  }

  /** A string; numbers and booleans as their text. Objects and arrays cannot be text. */
  text(value: unknown, path: Path): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.flag(path);
    return undefined;
  }

  /** A finite number, or a string that is one (" 0.97 "). */
  number(value: unknown, path: Path): number | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && NUMBER_TEXT.test(value)) return Number(value);
    this.flag(path);
    return undefined;
  }

  /** true/false, their text in any case, 1/0 and "1"/"0", "yes"/"no". */
  boolean(value: unknown, path: Path): boolean | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    const text = typeof value === 'string' ? value.trim().toLowerCase() : typeof value === 'number' ? String(value) : undefined;
    if (text === 'true' || text === '1' || text === 'yes') return true;
    if (text === 'false' || text === '0' || text === 'no') return false;
    this.flag(path);
    return undefined;
  }

  /**
   * A point in time as ISO-8601 UTC: an ISO timestamp (one without an offset is read as UTC, and noted), or epoch
   * seconds or milliseconds (as a number or its text).
   */
  time(value: unknown, path: Path): string | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    let ms = Number.NaN;
    if (typeof value === 'number' || (typeof value === 'string' && NUMBER_TEXT.test(value))) {
      const n = Number(value);
      if (n >= 0) ms = n < EPOCH_MS_THRESHOLD ? n * 1000 : n;
    } else if (typeof value === 'string') {
      const text = value.trim();
      if (ISO_WITH_OFFSET.test(text)) {
        ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      } else if (ISO_WITHOUT_OFFSET.test(text)) {
        ms = Date.parse(`${text.replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : ''}Z`);
        if (Number.isFinite(ms)) note(this.readAsUtc, formatPath(path));
      }
    }
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
      this.flag(path);
      return undefined;
    }
    return new Date(ms).toISOString();
  }

  /**
   * Walks a documented shape over a value and notes every documented field that cannot be read as documented.
   * Fields the document does not mention, and null anywhere, are fine.
   */
  check(value: unknown, shape: Shape, path: Path = []): void {
    if (value === undefined || value === null) return;
    if (typeof shape === 'string') {
      if (shape === 'text') this.text(value, path);
      else if (shape === 'number') this.number(value, path);
      else if (shape === 'boolean') this.boolean(value, path);
      else if (shape === 'time') this.time(value, path);
      return;
    }
    if ('object' in shape) {
      if (!isRecord(value)) return this.flag(path);
      for (const [field, inner] of Object.entries(shape.object)) this.check(value[field], inner, [...path, field]);
      return;
    }
    if (!Array.isArray(value)) return this.flag(path);
    value.forEach((item, index) => this.check(item, shape.array, [...path, index]));
  }

  /** What could not be read, or undefined when everything could. */
  drift(): Drift | undefined {
    if (this.uninterpreted.length === 0 && this.readAsUtc.length === 0) return undefined;
    return { uninterpreted: [...this.uninterpreted], readAsUtc: [...this.readAsUtc] };
  }

  /** `{ drift }` to spread into a status, or nothing. */
  driftField(): { drift?: Drift } {
    const drift = this.drift();
    return drift ? { drift } : {};
  }
}

function note(list: string[], path: string): void {
  if (list.includes(path)) return;
  if (list.length < MAX_PATHS) list.push(path);
  else if (list.length === MAX_PATHS) list.push('(more)');
}

/** A status word compared the way providers vary it: trimmed, lowercase. */
export function statusWord(value: string | undefined): string | undefined {
  const word = value?.trim().toLowerCase();
  return word ? word : undefined;
}
