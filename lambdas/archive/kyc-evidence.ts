/**
 * KYC evidence: every `results[].imagesFull` URL, and those of each `history[]` attempt, streamed into S3. Other
 * links (`images`, `imageObjects`, `faceSelfie`, `faceDoc`) only when configured: thumbnails and cut-outs of the same
 * pictures, more personal data for little evidential gain.
 */
import { evidenceOf, missing, storeDownloaded, type Evidence, type EvidenceContext, type PlannedImage } from './evidence';
import { kycStem, type KycLinkKind } from './keys';
import type { JsonPath } from './result-document';

const SINGLE_LINKS: ReadonlySet<KycLinkKind> = new Set(['faceSelfie', 'faceDoc']);

interface LinkToFetch extends PlannedImage {
  url: unknown;
}

/** `answer` is the session body: `{ results: [{ type, imagesFull, images, ..., history: [task-shaped] }] }`. */
export async function collectKycEvidence(ctx: EvidenceContext, answer: unknown): Promise<Evidence> {
  const kinds: KycLinkKind[] = ['imagesFull', ...ctx.kycImageLinks.filter((kind) => kind !== 'imagesFull')];
  const tasks = isObject(answer) && Array.isArray(answer.results) ? answer.results : [];
  const links: LinkToFetch[] = [];

  tasks.forEach((task: unknown, taskIndex) => {
    if (!isObject(task)) return;
    const taskType = typeof task.type === 'string' ? task.type : 'task';
    linksOf(task, ['results', taskIndex], taskIndex, taskType, kinds, undefined, links);
    if (Array.isArray(task.history)) {
      task.history.forEach((attempt: unknown, attemptIndex) => {
        if (isObject(attempt)) {
          linksOf(attempt, ['results', taskIndex, 'history', attemptIndex], taskIndex, taskType, kinds, attemptIndex, links);
        }
      });
    }
  });

  const outcomes = await Promise.all(
    links.map((link) =>
      ctx.limit(async () => {
        if (typeof link.url !== 'string') return missing(link, 'rejected', 'link-not-a-string');
        return storeDownloaded(ctx, link, link.url);
      }),
    ),
  );
  return evidenceOf(outcomes);
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
    const entries: Array<{ url: unknown; index: number; path: JsonPath }> = SINGLE_LINKS.has(link)
      ? [{ url: value, index: 0, path: [...path, link] }]
      : Array.isArray(value)
        ? value.map((url: unknown, index) => ({ url, index, path: [...path, link, index] }))
        : [];
    for (const entry of entries) {
      // Absent or empty links mean "no such image", not a missing one.
      if (entry.url === undefined || entry.url === null || entry.url === '') continue;
      into.push({
        stem: kycStem(taskIndex, taskType, link, entry.index, attempt),
        source: {
          kind: 'kyc-image',
          task: taskIndex,
          taskType: taskType.slice(0, 32),
          link,
          index: entry.index,
          ...(attempt !== undefined ? { attempt } : {}),
          ...hostOf(entry.url),
        },
        path: entry.path,
        url: entry.url,
      });
    }
  }
}

function hostOf(url: unknown): { host?: string } {
  if (typeof url !== 'string') return {};
  try {
    return { host: new URL(url).hostname };
  } catch {
    return {};
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
