/**
 * What a reliability scenario is made of: checks scripted at the fake providers, each with the faults it meets on its
 * way and the one record status it must end in; events that break the contract; executions started by hand with a
 * malformed state.
 */
import type { RecordStatus } from '../../lambdas/records/record';
import type { ProviderName } from '../../lambdas/checks/check-status';
import type { AnyCheckScript } from '../fake-providers';

/**
 * Faults of S3 and DynamoDB, which the emulators cannot produce: injected into the SDK clients the handlers use
 * (storage-faults.ts), for the one check they are planned for.
 */
export type StorageFault =
  /** The check's first `failures` S3 requests answer 503 SlowDown: the archive step fails, the workflow retries. */
  | { kind: 's3-throttle'; failures: number }
  /** The check's first `failures` DynamoDB requests are throttled (ProvisionedThroughputExceeded). */
  | { kind: 'dynamo-throttle'; failures: number }
  /** Every S3 write of the check is refused (403 AccessDenied): nothing is archived, the record says error. */
  | { kind: 's3-denied' }
  /**
   * The archive step dies after its uploads, before its record: the first write of the check's final record is
   * refused for good, the workflow's Catch records an error and the execution fails; the scenario then re-runs the
   * workflow (RedriveExecution), which must converge on one record and no orphan.
   */
  | { kind: 'crash-before-record' }
  /**
   * S3 is down for `ms` (real milliseconds; a scenario scales simulated minutes by SUITE_TIME_FACTOR) from the check's
   * first S3 request: every request of the check answers 503 SlowDown until then.
   */
  | { kind: 's3-outage'; ms: number };

/** Wait states and retry pauses of the suite's local stack run this many times faster than real time. */
export const SUITE_TIME_FACTOR = 100;

export interface PlannedCheck {
  label: string;
  /** Fault kinds this check carries (catalogue names), for the figures. */
  kinds: string[];
  script: AnyCheckScript;
  /** The one record status the check must end in (or the statuses it may end in, when its path allows several). */
  expect: RecordStatus | readonly RecordStatus[];
  /** Faults injected into this check's life: fault answers, bad frames or links, extra deliveries, storage faults. */
  faults: number;
  /** Deliveries of its event, 1 by default; extra ones are duplicates (one during the workflow, the rest after). */
  deliveries?: number;
  /** Replaces the check id in the event (an id the provider's input rules refuse). */
  eventCheckId?: string;
  storage?: StorageFault;
  /**
   * Runs of the check's workflow started beside the first while it runs, each under a restart's name with the same
   * input (what a reconcile restart or an operator racing a live execution would start): the lease and the record's
   * write condition must make them converge on one record.
   */
  concurrentRuns?: number;
  /** The check's execution is stopped (StopExecution) while it polls: reconcile must find it open and redrive it. */
  stoppedWhilePolling?: boolean;
}

/** Reconcile at volume: the real reconcile over the table once the checks ran, run after run until nothing is due. */
export interface ReconcileRound {
  /** Items per page of the open-checks index. */
  pageSize: number;
  /** Checks one run may look at before its time is up (its Lambda time budget, counted rather than timed). */
  checksPerRun: number;
  /** Open items not due yet (started items of checks still young), written beside them: never read, never touched. */
  notDue: number;
}

export interface InvalidEvent {
  label: string;
  /** The whole EventBridge event (already enveloped or not an envelope at all). */
  event: unknown;
  /** A secret the event carries (a liveness token), which must not reach any log or dead letter. */
  secret?: string;
}

export interface MalformedState {
  label: string;
  /** StartExecution input, bypassing the start function (a redrive or an operator with a bad payload). */
  input: unknown;
  /** The check the failure can still be recorded under, when the state names a provider and a check id. */
  salvage?: { provider: ProviderName; checkId: string };
}

export interface Scenario {
  name: string;
  checks: PlannedCheck[];
  invalidEvents?: InvalidEvent[];
  malformedStates?: MalformedState[];
  reconcile?: ReconcileRound;
}

/** Faults of a scenario: those of its checks, plus one per invalid event and malformed state. */
export function faultsOf(scenario: Scenario): number {
  return (
    scenario.checks.reduce((sum, check) => sum + check.faults + (check.concurrentRuns ?? 0) + (check.stoppedWhilePolling ? 1 : 0), 0) +
    (scenario.invalidEvents?.length ?? 0) +
    (scenario.malformedStates?.length ?? 0)
  );
}
