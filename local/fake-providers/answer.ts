import type { ServerResponse } from 'node:http';
import { maybeTruncate, outageFault, servedAnswer, statusFault } from './faults';
import { sleepUnlessClosed, type Reply } from './http';
import { observe, type Snapshot } from './lifecycle';
import type { CheckRecord, FakeState } from './state';

/** Answers one status request for a known check: delay, 5xx/429 faults, a scripted outage, lifecycle step, body, truncation. */
export type AnswerCheck = <C extends CheckRecord>(check: C, build: (snapshot: Snapshot, now: number) => Reply) => Promise<Reply>;

export function answerCheckFor(state: FakeState, res: ServerResponse): AnswerCheck {
  return async (check, build) => {
    const delay = check.script.faults.delayMs;
    if (delay) await sleepUnlessClosed(res, delay);
    // A client that gave up during the delay never sees this answer: it must not move the script along.
    if (res.destroyed) return { status: 499 };
    const now = state.clock.now();
    const fault = statusFault(check) ?? outageFault(check, now);
    if (fault) return fault;
    const snapshot = observe(check, now, { poll: true });
    servedAnswer(check, snapshot.terminal, now);
    return maybeTruncate(check, build(snapshot, now), snapshot.terminal);
  };
}
