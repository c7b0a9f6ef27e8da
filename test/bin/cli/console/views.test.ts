/** The pieces the pages are built from: escaping, face boxes as providers send them, the answer tree. */
import { describe, expect, it } from 'vitest';
import { answerTree } from '../../../../bin/cli/console/answer-tree';
import { describeBox, readBoundingBox } from '../../../../bin/cli/console/bounding-box';
import { escapeText, html, htmlText, queryString, raw } from '../../../../bin/cli/console/html';
import { retentionClock } from '../../../../bin/cli/console/views/format';

describe('html', () => {
  it('escapes values, keeps fragments, joins arrays and leaves out undefined/null/false', () => {
    const value = `<a href="x" onclick='y'>&`;
    expect(htmlText(html`<p title="${value}">${value}</p>`)).toBe('<p title="&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;">&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;</p>');
    expect(htmlText(html`<ul>${['<1>', raw('<li>2</li>'), undefined, null, false, 0]}</ul>`)).toBe('<ul>&lt;1&gt;<li>2</li>0</ul>');
  });

  it('makes terminal escapes, other controls and bidi overrides visible instead of passing them on', () => {
    expect(escapeText('\u001b[2J\u0007ok\tand\nlines\u0085\u202Etxt.exe\u2066')).toBe('\u241b[2J\u2407ok\tand\nlines\u27e8U+0085\u27e9\u27e8U+202E\u27e9txt.exe\u27e8U+2066\u27e9');
    expect(escapeText('\u007f')).toBe('\u2421');
  });

  it('queryString leaves empty values out', () => {
    expect(queryString({ a: 'x y', b: '', c: undefined, d: '1&2' })).toBe('?a=x+y&d=1%262');
    expect(queryString({})).toBe('');
  });
});

describe('readBoundingBox', () => {
  it('reads {x,y,width,height}, [x,y,w,h], left/top and w/h, numbers or numeric strings', () => {
    expect(readBoundingBox({ x: 12, y: 8, width: 28, height: 30 })).toEqual({ x: 12, y: 8, width: 28, height: 30, unit: 'px' });
    expect(readBoundingBox([12, 8, 28, 30])).toEqual({ x: 12, y: 8, width: 28, height: 30, unit: 'px' });
    expect(readBoundingBox({ left: '1', top: '2', w: '3.5', h: 4 })).toEqual({ x: 1, y: 2, width: 3.5, height: 4, unit: 'px' });
    expect(readBoundingBox({ x: 0.1, y: 0.2, width: 0.5, height: 0.6 })).toEqual({ x: 0.1, y: 0.2, width: 0.5, height: 0.6, unit: 'fraction' });
  });

  it('skips what it cannot read', () => {
    for (const value of [null, 'box', 3, [1, 2, 3], [1, 2, 3, 'x'], { x: 1, y: 2, width: 3 }, { x: 1, y: 2, width: -3, height: 4 }, { x: 1, y: 2, width: 0, height: 4 }, { x: NaN, y: 0, width: 1, height: 1 }, { x: '1e3', y: 0, width: 1, height: 1 }, { x: 0.8, y: 0, width: 0.5, height: 0.5 }]) {
      expect(readBoundingBox(value), JSON.stringify(value)).toBeUndefined();
    }
  });

  it('describes a box in words', () => {
    expect(describeBox({ x: 1, y: 2, width: 3, height: 4, unit: 'px' })).toBe('x 1, y 2, 3 × 4 px');
    expect(describeBox({ x: 0.1, y: 0.25, width: 0.5, height: 0.125, unit: 'fraction' })).toBe('x 10%, y 25%, 50% × 12.5% of the frame');
  });
});

describe('answerTree', () => {
  it('nests objects and arrays as <details>, first levels open, and links archived images', () => {
    const tree = htmlText(answerTree({ a: { b: [1, 'two', null, true] }, img: { archivedKey: 'p/frames/000.jpg', sha256: 'x' } }, { anchorOf: (key) => (key === 'p/frames/000.jpg' ? 'img-3' : undefined) }));
    expect(tree).toContain('<li><details open><summary><span class="key">answer</span>: <span class="note">{2 fields}</span></summary>');
    expect(tree).toContain('<details open><summary><span class="key">a</span>: <span class="note">{1 field}</span>');
    expect(tree).toContain('<details><summary><span class="key">b</span>: <span class="note">[4 items]</span>');
    expect(tree).toContain('<span class="key index">1</span>: <span class="v-string">"two"</span>');
    expect(tree).toContain('<span class="v-null">null</span>');
    expect(tree).toContain('<a href="#img-3">archived image</a>');
  });

  it('cuts long strings and very large answers, saying so', () => {
    const tree = htmlText(answerTree({ long: 'x'.repeat(1000), many: Array.from({ length: 5000 }, (_, i) => i) }));
    expect(tree).toContain('(600 more characters)');
    expect(tree).toContain('The answer is larger than 4000 values');
    expect(tree.match(/class="v-number"/g)!.length).toBeLessThan(4000);
  });
});

describe('retentionClock', () => {
  it('tells the time left and the share of the period run', () => {
    const clock = retentionClock('2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', new Date('2026-07-02T12:00:00.000Z'));
    expect(clock).toMatchObject({ left: '182 days left', elapsed: 50, over: false });
    expect(retentionClock('2026-01-01T00:00:00.000Z', '2032-01-01T00:00:00.000Z', new Date('2026-01-01T00:00:00.000Z')).left).toBe('6 years 1 day left');
    expect(retentionClock('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', new Date('2026-03-01T00:00:00.000Z'))).toMatchObject({ left: 'retention ended', elapsed: 100, over: true });
  });
});
