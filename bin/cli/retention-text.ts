/** A record's retention clock in words, for `show` and `query` (docs/retention.md). */
import type { CheckRecord } from '../../lambdas/records/record';
import { timeText } from './output';

type ClockFields = Pick<CheckRecord, 'retainUntil' | 'retentionClock' | 'retentionDays' | 'relationshipOpen' | 'relationshipClosedAt' | 'lastInteractionAt' | 'lastInteractionDays'>;

/** "5 years after the relationship ends; relationship open", "365 days from archive; at most 1095 days after …". */
export function clockText(record: ClockFields): string {
  const days = record.retentionDays;
  const span = days === undefined ? 'the class period' : days % 365 === 0 ? `${days / 365} year${days === 365 ? '' : 's'}` : `${days} days`;
  if (record.retentionClock === 'relationship-end') {
    if (record.relationshipOpen) return `${span} after the relationship ends; relationship open (kept at least until ${timeText(record.retainUntil)})`;
    return `${span} after the relationship ended ${timeText(record.relationshipClosedAt)}`;
  }
  const base = `${span} from archive`;
  if (record.lastInteractionDays === undefined) return base;
  return `${base}, at most ${record.lastInteractionDays} days after the last interaction (${timeText(record.lastInteractionAt)})`;
}

/** The query table's retainUntil cell: the date, or that the relationship is still open. */
export function retainUntilCell(record: Pick<CheckRecord, 'retainUntil' | 'relationshipOpen'>): string {
  return record.relationshipOpen ? 'relationship open' : record.retainUntil.slice(0, 10);
}
