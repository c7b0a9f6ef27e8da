/**
 * One check: the record, its retention clock and basis, the images (liveness boxes drawn over their frames, KYC
 * tasks side by side, quarantined items as downloads only, missing images with their reasons) and the provider's
 * answer as a tree, its raw JSON one click away. Printable: the print stylesheet keeps the evidence and drops the
 * controls.
 */
import type { ShownCheck, ShownImage } from '../../../../lambdas/audit';
import type { MissingImage } from '../../../../lambdas/archive/manifest';
import { answerTree } from '../answer-tree';
import { describeBox, readBoundingBox } from '../bounding-box';
import { html, type Html } from '../html';
import { bytesText, groupOf, retentionClock, sourceText, timeText } from './format';

export interface CheckView {
  shown: ShownCheck;
  /** The check's folder in the bucket (result.json references images by full key). */
  prefix?: string;
  /** The answer exactly as received, presigned as a download. */
  answerDownload?: string;
  now: Date;
}

export function checkPath(provider: string, checkRef: string): string {
  return `/check/${provider}/${checkRef}`;
}

export function checkMain(view: CheckView): Html {
  const { record: r } = view.shown;
  const anchors = new Map(view.shown.images.map((image, i) => [`${view.prefix ?? ''}${image.key}`, `img-${i}`]));
  return html`<article class="check" aria-labelledby="check-title">
<h1 id="check-title">${r.provider} check <code class="ref">${r.checkRef}</code></h1>
<ul class="actions" aria-label="Actions">
<li><a class="button" href="${checkPath(r.provider, r.checkRef)}/export">Export and verify</a></li>
<li><button type="button" class="print" data-action="print" hidden>Print this check</button></li>
</ul>
${recordSection(view)}
${retentionSection(view)}
${imagesSection(view.shown.images, view.shown.urlsExpireAt)}
${missingSection(view.shown.missingImages)}
${answerSection(view, (key) => anchors.get(key))}
</article>`;
}

function facts(rows: Array<[string, Html | string | number | undefined]>): Html {
  return html`<dl class="facts">${rows
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}</dl>`;
}

function recordSection({ shown }: CheckView): Html {
  const r = shown.record;
  const outcome = [r.outcome, r.decision ? `decision ${r.decision}` : '', r.confidence !== undefined ? `confidence ${r.confidence}` : ''].filter(Boolean).join(', ');
  return html`<section aria-labelledby="record-title">
<h2 id="record-title">Record</h2>
${facts([
  ['Status', r.status],
  ['Outcome', outcome],
  ['Provider status', r.providerStatus],
  ['Created', timeText(r.createdAt)],
  ['Provider created', timeText(r.providerCreatedAt)],
  ['Completed', timeText(r.completedAt)],
  ['Archived', timeText(r.archivedAt)],
  ['Objects', `${r.objects} (${bytesText(r.bytes)})${r.images !== undefined ? `, of which ${r.images} image${r.images === 1 ? '' : 's'}` : ''}`],
  ['Images missing', r.imagesMissing ? `${r.imagesMissing.count}: ${r.imagesMissing.reasons.join(', ')}` : undefined],
  ['Quarantined', r.quarantined ? `${r.quarantined.count} item${r.quarantined.count === 1 ? '' : 's'} kept as received, not valid images: ${r.quarantined.reasons.join(', ')}` : undefined],
  ['Fields not understood', r.uninterpreted ? `the provider sent fields that could not be read: ${r.uninterpreted.join(', ')}` : undefined],
  ['Read as UTC', r.readAsUtc ? `timestamps without an offset: ${r.readAsUtc.join(', ')}` : undefined],
  ['Detail', r.detail],
  ['Error', r.error ? `${r.error.name}${r.error.cause ? `: ${r.error.cause}` : ''}` : undefined],
  ['Escalation', r.escalation ? [r.escalation.reason, r.escalation.priority, r.escalation.status, r.escalation.deadline ? `deadline ${r.escalation.deadline}` : ''].filter(Boolean).join(', ') : undefined],
  ['Client key hash', r.clientKeyHash ? html`<code>${r.clientKeyHash}</code> <a href="/?clientKeyHash=${r.clientKeyHash}" class="no-print">every check of this client</a>` : undefined],
])}
</section>`;
}

function retentionSection({ shown, now }: CheckView): Html {
  const r = shown.record;
  const clock = retentionClock(r.archivedAt, r.retainUntil, now);
  const hold = r.legalHold ? `yes, since ${timeText(r.legalHoldSince)}${r.legalHoldReason ? ` (${r.legalHoldReason})` : ''}: expiry suspended` : 'no';
  return html`<section aria-labelledby="retention-title">
<h2 id="retention-title">Retention</h2>
${facts([
  ['Class', r.retentionClass],
  ['Retained until', timeText(r.retainUntil)],
  ['Clock', html`<label for="retention-meter">${clock.left}, ${clock.elapsed}% of the period run</label> <meter id="retention-meter" min="0" max="100" value="${clock.elapsed}">${clock.elapsed}%</meter>`],
  ['Basis', r.retentionBasis],
  ['Legal hold', hold],
])}
</section>`;
}

function imagesSection(images: ShownImage[], urlsExpireAt: string | undefined): Html {
  if (images.length === 0) return html`<section aria-labelledby="images-title"><h2 id="images-title">Images</h2><p>No archived images.</p></section>`;
  const groups = new Map<string, { label: string; order: number; figures: Array<{ order: number; pair?: string; html: Html }> }>();
  images.forEach((image, i) => {
    const group = groupOf(image.source);
    const entry = groups.get(group.id) ?? { label: group.label, order: group.order, figures: [] };
    const pair = image.source.kind === 'kyc-check-image' ? `check ${image.source.group}.${image.source.item}` : undefined;
    entry.figures.push({ order: orderInGroup(image, i), ...(pair ? { pair } : {}), html: figure(image, `img-${i}`) });
    groups.set(group.id, entry);
  });
  const sorted = [...groups.values()].sort((a, b) => a.order - b.order);
  for (const group of sorted) group.figures.sort((a, b) => a.order - b.order);
  return html`<section aria-labelledby="images-title">
<h2 id="images-title">Images (${images.length})</h2>
<p class="note no-print">Shown through presigned links valid until ${timeText(urlsExpireAt)}; reload the page for new ones.</p>
<div class="groups">${sorted.map(
    (group) => html`<section class="group${group.figures.some((f) => f.pair) ? ' pairs' : ''}"><h3>${group.label}</h3><div class="figures">${pairedFigures(group.figures)}</div></section>`,
  )}</div>
</section>`;
}

/** The images a KYC check item compared (the faces task's document and selfie) side by side, one pair a row. */
function pairedFigures(figures: Array<{ pair?: string; html: Html }>): Html[] {
  const out: Html[] = [];
  for (let i = 0; i < figures.length; ) {
    const pair = figures[i]!.pair;
    if (pair === undefined) {
      out.push(figures[i++]!.html);
      continue;
    }
    const members: Html[] = [];
    while (i < figures.length && figures[i]!.pair === pair) members.push(figures[i++]!.html);
    out.push(html`<div class="pair" role="group" aria-label="Compared images, ${pair}">${members}</div>`);
  }
  return out;
}

/** The probe before the frames, frames by index; anything else in archive order. */
function orderInGroup(image: ShownImage, position: number): number {
  if (image.source.kind === 'liveness-probe') return -1;
  if (image.source.kind === 'liveness-frame') return image.source.index;
  return position;
}

function figure(image: ShownImage, id: string): Html {
  const what = sourceText(image.source);
  const meta = html`<code>${image.key}</code> · ${image.contentType} · ${bytesText(image.bytes)}<br><span class="hash">sha256 <code>${image.sha256}</code></span>`;
  if (image.quarantined) {
    return html`<figure class="image quarantined" id="${id}">
<div class="quarantine-box"><strong>Quarantined: ${image.quarantined.reason}.</strong> Not a valid image: kept exactly as received and offered only as a download, never shown.</div>
<figcaption><span class="what">${what}</span><br>${meta}<br><a class="no-print" href="${image.url}" download>Download the item as received (${bytesText(image.bytes)})</a></figcaption>
</figure>`;
  }
  const box = image.boundingBox === undefined ? undefined : readBoundingBox(image.boundingBox);
  const boxData = box
    ? html` data-box="${[box.x, box.y, box.width, box.height].join(',')}" data-box-unit="${box.unit}"`
    : '';
  const boxText =
    image.boundingBox === undefined ? '' : box ? html`<br>Face box (outlined): ${describeBox(box)}` : html`<br>Face box reported in a form that cannot be read: not drawn`;
  return html`<figure class="image" id="${id}"${boxData}>
<div class="media"><img src="${image.url}" alt="${what}, ${image.contentType}, archived copy"><span class="bbox" hidden></span></div>
<figcaption><span class="what">${what}</span><br>${meta}${boxText}<br><a class="no-print" href="${image.url}">Open the image</a></figcaption>
</figure>`;
}

function missingSection(missing: MissingImage[]): Html {
  if (missing.length === 0) return html``;
  return html`<section aria-labelledby="missing-title">
<h2 id="missing-title">Images missing at archive time (${missing.length})</h2>
<table>
<thead><tr><th scope="col">Image</th><th scope="col">Reason</th><th scope="col">Detail</th></tr></thead>
<tbody>${missing.map((m) => html`<tr><td>${sourceText(m.source)}</td><td>${m.reason}</td><td>${m.detail}</td></tr>`)}</tbody>
</table>
</section>`;
}

function answerSection(view: CheckView, anchorOf: (key: string) => string | undefined): Html {
  const { shown } = view;
  const links = [
    shown.documents.result ? html`<li><a href="${shown.documents.result}">result.json</a> (the answer with images replaced by references)</li>` : '',
    view.answerDownload ? html`<li><a href="${view.answerDownload}" download>The answer exactly as received</a> (download)</li>` : '',
    shown.documents.manifest ? html`<li><a href="${shown.documents.manifest}">manifest.json</a> (every object and its sha256)</li>` : '',
  ];
  return html`<section aria-labelledby="answer-title">
<h2 id="answer-title">The provider's answer</h2>
${shown.result !== undefined
  ? html`${answerTree(shown.result, { anchorOf })}
<details class="raw no-print"><summary>Raw JSON</summary><pre><code>${JSON.stringify(shown.result, null, 2)}</code></pre></details>`
  : html`<p>${shown.resultNote ?? 'This check has no answer from the provider.'}</p>`}
<ul class="documents no-print">${links}</ul>
</section>`;
}
