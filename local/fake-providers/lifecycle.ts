import type { CheckRecord, VerificationCheck } from './state';

/** What a check looks like at one moment, from the lifecycle's point of view. */
export interface Snapshot {
  terminal: boolean;
  /** Real answers given before this one (0 for the first): pending → in_progress, idle → processing. */
  answersBefore: number;
}

/**
 * Moves a check along its script at simulated time `now`. With `poll`, this is a real status answer and counts
 * toward `pending.polls` (image requests and fault answers pass `poll: false`). Terminal is sticky.
 * A time-based end is dated at the scripted moment, a poll-based one at the answer that reached it.
 */
export function observe(check: CheckRecord, now: number, { poll }: { poll: boolean }): Snapshot {
  const answersBefore = check.answers;
  if (check.terminalAt === undefined) {
    // Scripts without a pending phase are created terminal (see checks.ts).
    const { polls, ms } = check.script.pending ?? {};
    if (ms !== undefined && now >= check.createdAt + ms) check.terminalAt = check.createdAt + ms;
    else if (poll && polls !== undefined && answersBefore >= polls) check.terminalAt = now;
  }
  if (check.provider === 'verification' && check.terminalAt !== undefined) settleEscalation(check, now, poll);
  if (poll) check.answers += 1;
  return { terminal: check.terminalAt !== undefined, answersBefore };
}

function settleEscalation(check: VerificationCheck, now: number, poll: boolean): void {
  if (check.script.outcome !== 'escalated' || check.resolvedAt !== undefined) return;
  const escalatedAt = check.terminalAt!;
  const { polls, ms } = check.script.escalation.resolveAfter ?? {};
  if (ms !== undefined && now >= escalatedAt + ms) check.resolvedAt = escalatedAt + ms;
  else if (poll && polls !== undefined && check.escalatedAnswers >= polls) check.resolvedAt = now;
  if (poll && check.resolvedAt === undefined) check.escalatedAnswers += 1;
}

/** Liveness frames and KYC images exist from the outcome until the image window closes. */
export function imagesAvailable(check: CheckRecord, now: number, defaultWindowMs: number): boolean {
  if (check.terminalAt === undefined || check.provider === 'verification') return false;
  return now < check.terminalAt + (check.script.imageWindowMs ?? defaultWindowMs);
}
