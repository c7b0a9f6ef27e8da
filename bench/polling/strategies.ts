/**
 * The polling policies compared, all on the same synthesized state machine. Each decides one poll; only the wait
 * (`waitSeconds` the poll returns) differs, the terminal/escalated/timed-out decision is always the real one
 * (lambdas/polling/poll-check.ts over lambdas/polling/next-poll.ts). The deployed design waits in the poll loop
 * (`loop`: SQS delays, the workflow waiting on its task token); the baselines wait in the workflow, one poll per
 * `Poll provider` task and a Wait state between polls — AWS's Standard job-poller pattern, three transitions a poll.
 */
import { pollCheck } from '../../lambdas/polling/poll-check';
import { pollingPolicySchema, withWebhooks, type PollingPolicy } from '../../lambdas/polling/polling-policy';
import type { PollOutput, WorkflowState } from '../../lambdas/checks/workflow-contract';
import { firstChangeAt, type CheckPlan } from './workload';
import { modelClient, nextChangeAfter, VIRTUAL_EPOCH_MS } from './provider-model';

export interface PollingStrategy {
  /** Short id used in results.json. */
  id: string;
  label: string;
  /** What this baseline is, for the report. */
  description: string;
  /** Virtual second of the first poll (when the execution starts). */
  startsAt(plan: CheckPlan): number;
  /** Polls in the poll loop (the deployed design); otherwise one poll per task, the workflow's Wait between them. */
  loop?: boolean;
  poll(state: WorkflowState, plan: CheckPlan, t: number): Promise<PollOutput>;
  /**
   * Highest useful time factor. The local service scales the definition's TimeoutSeconds (612,000 s) like the Waits,
   * and a Wait never takes less than Node's 1 ms timer: a fast poller's long executions need the lower factor to
   * finish before their scaled timeout, and lose nothing by it.
   */
  maxTimeFactor?: number;
  /**
   * Webhooks on: when a notification about the check's next change reaches the receiver after virtual second `t`
   * (undefined when nothing changes any more). A registered wait of the loop ends then (lambdas/polling/poll-loop.ts).
   */
  wakeAt?(plan: CheckPlan, t: number): number | undefined;
}

const WAITING = new Set(['pending', 'escalated']);

function pollWith(policy: PollingPolicy, state: WorkflowState, plan: CheckPlan, t: number): Promise<PollOutput> {
  const now = new Date(VIRTUAL_EPOCH_MS + Math.round(t * 1000));
  return pollCheck({ client: modelClient(plan, t), policy, now: () => now }, state);
}

/** A naive poller has no poll cap: the policy's 2,000-poll cap would end its long checks as timed-out. */
export function uncapped(policy: PollingPolicy): PollingPolicy {
  return { ...policy, maxPolls: Number.MAX_SAFE_INTEGER };
}

/** The deployed design: the policy of cdk.json in the poll loop. */
export function deployedStrategy(policy: PollingPolicy): PollingStrategy {
  return {
    id: 'ours',
    label: `ours: poll loop (${policy.fastMaxSeconds} s for ${policy.fastPhaseSeconds / 60} min, → ${policy.maxSeconds} s, reviews ${policy.escalationSeconds} s)`,
    description: `The deployed design: the poll loop (SQS delays as waits, the workflow waiting on its task token) with the policy of cdk.json (the synthesized poll function's POLLING_POLICY): every ${policy.fastMaxSeconds} s for the first ${policy.fastPhaseSeconds / 60} minutes of polling, then backing off (${policy.initialSeconds} s × ${policy.factor}^n) to ${policy.maxSeconds} s, never past a KYC session's secondsToLive, every ${policy.escalationSeconds} s during a verification escalation.`,
    startsAt: () => 0,
    loop: true,
    poll: (state, plan, t) => pollWith(policy, state, plan, t),
  };
}

/**
 * Modelled: from the provider's change to the woken message being picked up — the provider's delivery, the receiver
 * (signature, two DynamoDB writes, SendMessage) and the queue's pickup. An assumption (nothing here can measure a
 * provider's delivery); the local test shows the same path end to end.
 */
export const WEBHOOK_DELIVERY_SECONDS = 0.5;

/** The deployed poll loop with webhook wake-ups on (cdk.json `webhooks.<provider>.enabled`). */
export function webhookStrategy(deployed: PollingPolicy): PollingStrategy {
  const policy = withWebhooks(deployed);
  return {
    ...deployedStrategy(policy),
    id: 'webhooks',
    label: 'ours + webhooks (the poll loop, woken by signed notifications)',
    description: `The deployed poll loop with webhooks on: the provider notifies every change (completion, escalation, resolution); a loop waiting longer than 5 s is woken ${WEBHOOK_DELIVERY_SECONDS} s after the change (modelled delivery) and polls at once; the first escalation leaves its review wait to the loop, and reviews are polled every ${policy.escalationSeconds} s as a safety net. Costs the receiver's invocations, its DynamoDB writes and the loop's registrations.`,
    wakeAt: (plan, t) => {
      const next = nextChangeAfter(plan, t);
      return next === undefined ? undefined : next + WEBHOOK_DELIVERY_SECONDS;
    },
  };
}

/** The schedule deployed before the poll loop, in the workflow's own Wait loop: the figures it is measured against. */
export const PREVIOUS_POLICY: PollingPolicy = pollingPolicySchema.parse({ fastMaxSeconds: 14, escalationSeconds: 900, maxPolls: 2_000 });

export function previousStrategy(): PollingStrategy {
  const policy = PREVIOUS_POLICY;
  return {
    id: 'previous',
    label: `previous: Standard loop (3 s ×2, ≤ ${policy.fastMaxSeconds} s for ${policy.fastPhaseSeconds / 60} min, → ${policy.maxSeconds} s)`,
    description: `The schedule deployed before issue 14, on the workflow's Wait → Poll → Route loop: waits 3 s × 2^n, capped at ${policy.fastMaxSeconds} s for the first ${policy.fastPhaseSeconds / 60} minutes and at ${policy.maxSeconds} s after, ${policy.escalationSeconds} s during an escalation.`,
    startsAt: () => 0,
    poll: (state, plan, t) => pollWith(policy, state, plan, t),
  };
}

/** Polls every `seconds`, pending or escalated alike. */
export function fixedStrategy(policy: PollingPolicy, seconds: number, origin: string): PollingStrategy {
  const relaxed = uncapped(policy);
  return {
    id: `fixed-${seconds}s`,
    label: `fixed ${seconds} s`,
    description: `Polls every ${seconds} s whatever the status (${origin}); same state machine, the poll's waitSeconds replaced; no poll cap.`,
    startsAt: () => 0,
    maxTimeFactor: 1000 * seconds,
    async poll(state, plan, t) {
      const out = await pollWith(relaxed, state, plan, t);
      return WAITING.has(out.state) ? { ...out, waitSeconds: seconds } : out;
    },
  };
}

/** Knows the future: its execution starts when the answer first changes, and it waits exactly until the next change. */
export function oracleStrategy(policy: PollingPolicy): PollingStrategy {
  const relaxed = uncapped(policy);
  return {
    id: 'oracle',
    label: 'oracle',
    description: 'Lower bound: the first poll happens exactly at completion (or at escalation, then once at resolution); as a provider webhook would allow.',
    startsAt: firstChangeAt,
    async poll(state, plan, t) {
      const out = await pollWith(relaxed, state, plan, t);
      const next = nextChangeAfter(plan, t);
      if (!WAITING.has(out.state) || next === undefined) return out;
      return { ...out, waitSeconds: Math.max(1, Math.ceil(next - t)) };
    },
  };
}
