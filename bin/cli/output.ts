/** Printing: aligned tables for people, JSON and CSV for tools. */
import type { CliIo } from './command';
import { cellText, printable, printableJson } from './printable';

export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((row) => row.map((cell) => cellText(cell ?? '')));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** RFC 4180, with cells that a spreadsheet would run as a formula (=, +, -, @) prefixed by a quote. */
export function csv(header: string[], rows: string[][]): string {
  const cell = (raw: string) => {
    const value = cellText(raw);
    const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [header, ...rows].map((row) => row.map((value) => cell(value ?? '')).join(',')).join('\r\n');
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${printableJson(value)}\n`);
}

export function println(io: CliIo, text = ''): void {
  io.stdout.write(`${printable(text)}\n`);
}

export function warn(io: CliIo, text: string): void {
  io.stderr.write(`${printable(text)}\n`);
}

export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** 2026-03-19T10:31:06.000Z → 2026-03-19 10:31:06Z */
export function timeText(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '';
}
