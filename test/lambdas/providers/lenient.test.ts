import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reading, formatPath } from '../../../lambdas/providers/lenient';

describe('Reading', () => {
  it.each([
    [0.97, 0.97],
    ['0.97', 0.97],
    [' 2 ', 2],
    ['1e3', 1000],
    [null, undefined],
    ['', undefined],
  ])('number(%j) is %j without a note', (value, expected) => {
    const reading = new Reading();
    expect(reading.number(value, ['x'])).toBe(expected);
    expect(reading.drift()).toBeUndefined();
  });

  it.each(['high', '0.9.1', [1], { v: 1 }, true, Number.NaN])('number(%j) is noted by path, never by value', (value) => {
    const reading = new Reading();
    expect(reading.number(value, ['result', 'confidence'])).toBeUndefined();
    expect(reading.drift()).toEqual({ uninterpreted: ['result.confidence'], readAsUtc: [] });
  });

  it.each([
    [true, true],
    ['TRUE', true],
    ['false', false],
    [1, true],
    ['0', false],
    ['yes', true],
  ])('boolean(%j) is %j', (value, expected) => {
    expect(new Reading().boolean(value, ['x'])).toBe(expected);
  });

  it.each([
    ['2026-03-19T10:31:30Z', '2026-03-19T10:31:30.000Z', false],
    ['2026-03-19T13:31:30+03:00', '2026-03-19T10:31:30.000Z', false],
    ['2026-03-19T13:31:30+0300', '2026-03-19T10:31:30.000Z', false],
    ['2026-03-19T10:31:30', '2026-03-19T10:31:30.000Z', true],
    ['2026-03-19 10:31:30.5', '2026-03-19T10:31:30.500Z', true],
    ['2026-03-19', '2026-03-19T00:00:00.000Z', true],
    [1773916290, '2026-03-19T10:31:30.000Z', false],
    ['1773916290123', '2026-03-19T10:31:30.123Z', false],
  ])('time(%j) is %s (read as UTC: %s)', (value, iso, asUtc) => {
    const reading = new Reading();
    expect(reading.time(value, ['t'])).toBe(iso);
    expect(reading.drift()?.readAsUtc ?? []).toEqual(asUtc ? ['t'] : []);
  });

  it.each(['yesterday', '2026-13-45T99:99:99Z', -5, {}])('time(%j) is noted', (value) => {
    const reading = new Reading();
    expect(reading.time(value, ['t'])).toBeUndefined();
    expect(reading.drift()?.uninterpreted).toEqual(['t']);
  });

  it('check walks a documented shape: nulls and unknown fields are fine, wrong kinds are noted once each', () => {
    const reading = new Reading();
    reading.check(
      { a: null, b: 'x', c: [{ d: '3' }, { d: 'three' }, 'not-an-object'], e: { f: true }, extra: { anything: [1] } },
      { object: { a: 'number', b: 'text', c: { array: { object: { d: 'number' } } }, e: 'text' } },
    );
    expect(reading.drift()?.uninterpreted).toEqual(['c[1].d', 'c[2]', 'e']);
  });

  it('notes at most 40 paths, then says there were more', () => {
    const reading = new Reading();
    for (let i = 0; i < 100; i++) reading.flag(['x', i]);
    const paths = reading.drift()!.uninterpreted;
    expect(paths).toHaveLength(41);
    expect(paths.at(-1)).toBe('(more)');
  });

  it('never throws, whatever the value and the shape', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reading = new Reading();
        reading.check(value, { object: { a: 'number', b: { array: { object: { c: 'time', d: 'boolean' } } } } });
        reading.text(value, []);
        reading.time(value, []);
      }),
      { numRuns: 300 },
    );
  });

  it('formats paths as a reader writes them', () => {
    expect(formatPath(['results', 0, 'ocr', 'fields', 2, 'value'])).toBe('results[0].ocr.fields[2].value');
    expect(formatPath([])).toBe('(body)');
  });
});
