/**
 * What polling costs per check over benchmark 1's workload (the mean usage of a design × list prices), for the designs
 * table and the chart: Step Functions (Standard and Express), SQS, the poll function and durable operations, and their
 * logs — the parts that differ between designs. Durations are benchmark 1's assumptions (INVOCATION_SECONDS), not
 * benchmark 4's measurements; the archive, storage and records are the same for every design and left out. Pure.
 */
import { INVOCATION_SECONDS, type DesignUsage } from '../polling/designs';
import { GB, PRICES } from './prices';

/** Assumed for the logs: a history event as logged (benchmark 3 measures ~258 B), a function invocation's lines. */
const HISTORY_EVENT_BYTES = 260;
const INVOCATION_LOG_BYTES = 400;
const POLL_MEMORY_GB = 256 / 1024;
const DURABLE_REPLAY_SECONDS = 0.02;

export function pollingCostPerCheck(usage: DesignUsage, prices = PRICES): number {
  const webhooks = usage.webhookRequests ?? 0;
  const invocations = usage.polls + usage.hops + usage.heldInvocations + usage.durableResumes + webhooks;
  const seconds =
    usage.polls * INVOCATION_SECONDS.poll + usage.hops * INVOCATION_SECONDS.hop + usage.heldSeconds + usage.durableResumes * DURABLE_REPLAY_SECONDS + webhooks * INVOCATION_SECONDS.webhook;
  return (
    usage.transitions * prices.stepFunctionsPerTransition +
    usage.expressExecutions * prices.stepFunctionsExpressPerRequest +
    usage.expressSeconds * prices.expressBilledMemoryGb * prices.stepFunctionsExpressPerGbSecond +
    usage.sqsMessages * 3 * prices.sqsPerRequest +
    invocations * prices.lambdaPerRequest +
    seconds * POLL_MEMORY_GB * prices.lambdaArmPerGbSecond +
    usage.durableOperations * prices.lambdaDurablePerOperation +
    (usage.wakeWrites ?? 0) * prices.dynamoPerWriteRequestUnit +
    ((usage.historyEvents * HISTORY_EVENT_BYTES + invocations * INVOCATION_LOG_BYTES) / GB) * prices.cloudWatchLogsPerGb
  );
}
