import { describe, expect, it } from 'vitest';
import { cellText, printable, printableJson } from '../../../bin/cli/printable';

describe('printable', () => {
  it('shows C0 controls as control pictures, DEL as ␡, C1 controls and bidi marks as ⟨U+XXXX⟩', () => {
    expect(printable('a\u001b[31mb\u0007c\u007fd')).toBe('a␛[31mb␇c␡d');
    expect(printable('x\u009b31my')).toBe('x⟨U+009B⟩31my');
    expect(printable('file\u202egnp.exe \u2066iso\u2069 \u200f')).toBe('file⟨U+202E⟩gnp.exe ⟨U+2066⟩iso⟨U+2069⟩ ⟨U+200F⟩');
  });

  it('keeps tabs, newlines and CRLF, but shows a lone carriage return (it rewrites a terminal line)', () => {
    expect(printable('a\tb\nc\r\nd')).toBe('a\tb\nc\r\nd');
    expect(printable('safe\rEVIL')).toBe('safe␍EVIL');
  });

  it('leaves ordinary text, accents and emoji alone', () => {
    const text = 'Müller-Lüdenscheidt 東京 🙂 — “quoted”';
    expect(printable(text)).toBe(text);
    expect(cellText(text)).toBe(text);
  });

  it('in a cell, tabs and newlines are shown too: one cell stays one cell', () => {
    expect(cellText('a\tb\nc\r')).toBe('a␉b␊c␍');
  });

  it('JSON keeps its value but carries no raw C1 control or bidi mark', () => {
    const value = { text: 'x\u009by\u202ez\u001b' };
    const json = printableJson(value);
    expect(json).not.toMatch(/[\u001b\u009b\u202e]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
