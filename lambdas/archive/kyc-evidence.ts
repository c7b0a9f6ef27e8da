/**
 * KYC evidence, whatever the session's status (a failed, expired or broken session's images are evidence too):
 * every `results[].imagesFull` URL and those of each `history[]` attempt, and the images of task check items (the
 * faces task's compared pairs), streamed into S3. Other links (`images`, `imageObjects`, `faceSelfie`, `faceDoc`)
 * only when configured: thumbnails and cut-outs of the same pictures, more personal data for little evidential gain.
 * A link may be a string or an object around one (`{url}`).
 */
import { isRecord } from '../providers/lenient';
import { evidenceOf, hostOf, missing, settleAll, storeDownloaded, withinImageCap, type Evidence, type EvidenceContext, type PlannedImage } from './evidence';
import { kycCheckItemStem, kycStem, type KycLinkKind } from './keys';
import type { JsonPath } from './result-document';

const SINGLE_LINKS: ReadonlySet<KycLinkKind> = new Set(['faceSelfie', 'faceDoc']);
const URL_FIELDS = ['url', 'href', 'src', 'uri'] as const;

interface LinkToFetch extends PlannedImage {
  url: unknown;
}

/** `answer` is the session body: `{ results: [{ type, imagesFull, images, checks, ..., history: [task-shaped] }] }`. */
export async function collectKycEvidence(ctx: EvidenceContext, answer: unknown): Promise<Evidence> {
  const kinds: KycLinkKind[] = ['imagesFull', ...ctx.kycImageLinks.filter((kind) => kind !== 'imagesFull')];
  const tasks = isRecord(answer) && Array.isArray(answer.results) ? answer.results : [];
  const links: LinkToFetch[] = [];

  tasks.forEach((task: unknown, taskIndex) => {
    if (!isRecord(task)) return;
    const taskType = typeof task.type === 'string' ? task.type : 'task';
    linksOf(task, ['results', taskIndex], taskIndex, taskType, kinds, undefined, links);
    checkItemLinksOf(task, ['results', taskIndex], taskIndex, taskType, links);
    if (Array.isArray(task.history)) {
      task.history.forEach((attempt: unknown, attemptIndex) => {
        if (isRecord(attempt)) {
          linksOf(attempt, ['results', taskIndex, 'history', attemptIndex], taskIndex, taskType, kinds, attemptIndex, links);
        }
      });
    }
  });

  const { taken, over } = withinImageCap(ctx, links);
  const outcomes = await settleAll(
    ctx,
    taken.map((link) => async () => {
      if (typeof link.url !== 'string') return missing(link, 'rejected', 'link-not-a-string');
      return storeDownloaded(ctx, link, link.url);
    }),
  );
  return evidenceOf(outcomes, over);
}

function linksOf(
  task: Record<string, unknown>,
  path: JsonPath,
  taskIndex: number,
  taskType: string,
  kinds: KycLinkKind[],
  attempt: number | undefined,
  into: LinkToFetch[],
): void {
  for (const link of kinds) {
    const value = task[link];
    const entries: Array<{ url: unknown; index: number; path: JsonPath }> = SINGLE_LINKS.has(link) || !Array.isArray(value)
      ? [{ url: value, index: 0, path: [...path, link] }]
      : value.map((url: unknown, index) => ({ url, index, path: [...path, link, index] }));
    for (const entry of entries) {
      const { url, path: at } = linkIn(entry.url, entry.path);
      // Absent or empty links mean "no such image", not a missing one.
      if (url === undefined || url === null || url === '') continue;
      into.push({
        stem: kycStem(taskIndex, taskType, link, entry.index, attempt),
        source: {
          kind: 'kyc-image',
          task: taskIndex,
          taskType: taskType.slice(0, 32),
          link,
          index: entry.index,
          ...(attempt !== undefined ? { attempt } : {}),
          ...(typeof url === 'string' ? hostOf(url) : {}),
        },
        path: at,
        url,
      });
    }
  }
}

/** `checks[group].items[item].images[index]`: the faces task's pairs of compared images. */
function checkItemLinksOf(task: Record<string, unknown>, path: JsonPath, taskIndex: number, taskType: string, into: LinkToFetch[]): void {
  if (!Array.isArray(task.checks)) return;
  task.checks.forEach((group: unknown, groupIndex) => {
    if (!isRecord(group) || !Array.isArray(group.items)) return;
    group.items.forEach((item: unknown, itemIndex) => {
      if (!isRecord(item) || !Array.isArray(item.images)) return;
      item.images.forEach((entry: unknown, index) => {
        const { url, path: at } = linkIn(entry, [...path, 'checks', groupIndex, 'items', itemIndex, 'images', index]);
        if (url === undefined || url === null || url === '') return;
        into.push({
          stem: kycCheckItemStem(taskIndex, taskType, groupIndex, itemIndex, index),
          source: {
            kind: 'kyc-check-image',
            task: taskIndex,
            taskType: taskType.slice(0, 32),
            group: groupIndex,
            item: itemIndex,
            index,
            ...(typeof url === 'string' ? hostOf(url) : {}),
          },
          path: at,
          url,
        });
      });
    });
  });
}

/** A link as sent: the value itself, or the URL inside an object around it (result.json then gets the reference). */
function linkIn(value: unknown, path: JsonPath): { url: unknown; path: JsonPath } {
  if (!isRecord(value)) return { url: value, path };
  const field = URL_FIELDS.find((name) => typeof value[name] === 'string');
  return { url: field ? value[field] : value, path };
}
