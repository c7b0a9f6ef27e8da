/** Small formatting shared by the views (sizes and times as the CLI prints them). */
import type { ObjectSource } from '../../../../lambdas/archive/manifest';
export { bytesText, timeText } from '../../output';

/** The retention clock: how long is left, and how much of the period has run. */
export function retentionClock(archivedAt: string, retainUntil: string, now: Date): { left: string; elapsed: number; total: number; over: boolean } {
  const start = Date.parse(archivedAt);
  const end = Date.parse(retainUntil);
  const total = Math.max(1, end - start);
  const elapsed = Math.min(total, Math.max(0, now.getTime() - start));
  const leftMs = end - now.getTime();
  return { left: leftMs <= 0 ? 'retention ended' : `${durationText(leftMs)} left`, elapsed: Math.round((elapsed / total) * 1000) / 10, total: 100, over: leftMs <= 0 };
}

function durationText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  if (days >= 365) {
    const years = Math.floor(days / 365);
    const rest = days - years * 365;
    return `${years} year${years === 1 ? '' : 's'}${rest ? ` ${rest} day${rest === 1 ? '' : 's'}` : ''}`;
  }
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'}`;
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 1 ? `${hours} hour${hours === 1 ? '' : 's'}` : 'less than an hour';
}

/** Words for where an archived image came from (manifest `source`), for captions and alt text. */
export function sourceText(source: ObjectSource): string {
  switch (source.kind) {
    case 'liveness-probe':
      return 'liveness probe image';
    case 'liveness-frame':
      return `liveness frame ${source.index}`;
    case 'kyc-image':
      return `${source.taskType} (task ${source.task}) ${source.link} image ${source.index}${source.attempt !== undefined ? `, attempt ${source.attempt}` : ''}`;
    case 'kyc-check-image':
      return `${source.taskType} (task ${source.task}) compared image, check ${source.group}.${source.item}, image ${source.index}`;
    default:
      return source.kind;
  }
}

/** Images of one check grouped as an auditor compares them: liveness frames together, KYC images by task, in order. */
export function groupOf(source: ObjectSource): { id: string; label: string; order: number } {
  switch (source.kind) {
    case 'liveness-probe':
    case 'liveness-frame':
      return { id: 'frames', label: 'Liveness frames', order: 0 };
    case 'kyc-image':
    case 'kyc-check-image':
      return { id: `task-${source.task}`, label: `Task ${source.task}: ${source.taskType}`, order: source.task };
    default:
      return { id: 'other', label: 'Other images', order: Number.MAX_SAFE_INTEGER };
  }
}
