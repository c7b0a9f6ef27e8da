/**
 * Runs planned checks through the synthesized state machine on the local Step Functions service, on a virtual clock:
 * each execution keeps its own virtual time, advanced by the Wait durations the poll function returned and by a
 * modelled task duration. Wait states really run, at `timeFactor` × real speed (aws-local-stepfunctions), so the
 * transitions and history events are those of real executions of the deployed definition.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BENCH_KEY } from '../lib/identifier-key';
import { STATE, type ArchiveOutput, type WorkflowState } from '../../lambdas/checks/workflow-contract';
import { parseWorkflowState } from '../../lambdas/workflow/parse-state';
import { startLocalStepFunctions } from '../../local/step-functions-service';
import type { PollingStrategy } from './strategies';
import { VIRTUAL_EPOCH_MS } from './provider-model';
import type { PlannedCheck } from './workload';

/** Modelled duration of one poll task (provider round trip + Lambda), virtual seconds. */
export const POLL_TASK_SECONDS = 0.25;
/** Modelled duration of an archive/record task before the workflow moves on, virtual seconds. */
export const ARCHIVE_TASK_SECONDS = 1;

export type ArchiveKind = 'evidence' | 'escalation' | 'outcome' | 'failure';

/** What one check's execution did, in virtual seconds since the check's creation. */
export interface SimulatedCheck {
  check: PlannedCheck;
  status: string;
  transitions: number;
  historyEvents: number;
  polls: number;
  /** Archive/record task invocations by kind, with the virtual second each started. */
  archives: Array<{ kind: ArchiveKind; at: number; pollState?: string }>;
}

export interface SimulationOptions {
  definition: object;
  strategy: PollingStrategy;
  checks: readonly PlannedCheck[];
  /** Real-time speed-up of Wait states; the definition's TimeoutSeconds is scaled too, so it must stay moderate. */
  timeFactor: number;
  /** Distinguishes execution names between runs. */
  runId: string;
}

export async function simulate({ definition, strategy, checks, timeFactor, runId }: SimulationOptions): Promise<SimulatedCheck[]> {
  const byRef = new Map(checks.map((check) => [check.checkRef, check]));
  const clock = new Map<string, number>();
  const polls = new Map<string, number>();
  const archives = new Map<string, SimulatedCheck['archives']>();
  const planOf = (state: WorkflowState) => {
    const plan = byRef.get(state.check.checkRef);
    if (!plan) throw new Error('unknown check');
    return plan;
  };

  const poll = async (input: unknown) => {
    const state = parseWorkflowState(input, BENCH_KEY);
    const plan = planOf(state);
    const ref = plan.checkRef;
    // Every poll after the first follows exactly one Wait of the previous poll's waitSeconds.
    const t = state.poll ? clock.get(ref)! + state.poll.waitSeconds : strategy.startsAt(plan);
    polls.set(ref, (polls.get(ref) ?? 0) + 1);
    const out = await strategy.poll(state, plan, t);
    clock.set(ref, t + POLL_TASK_SECONDS);
    return out;
  };
  const archive = (kind: ArchiveKind) => async (input: unknown): Promise<ArchiveOutput> => {
    const state = input as WorkflowState;
    const ref = state.check.checkRef;
    const at = clock.get(ref) ?? 0;
    const list = archives.get(ref) ?? [];
    list.push({ kind, at, ...(state.poll ? { pollState: state.poll.state } : {}) });
    archives.set(ref, list);
    clock.set(ref, at + ARCHIVE_TASK_SECONDS);
    return { status: kind === 'escalation' ? 'escalated' : 'archived', objects: 0, bytes: 0 };
  };

  const service = await startLocalStepFunctions({
    definition,
    timeFactor,
    maxConcurrentExecutions: Math.max(1, checks.length),
    taskHandlers: {
      [STATE.poll]: poll,
      [STATE.archive]: archive('evidence'),
      [STATE.recordEscalation]: archive('escalation'),
      [STATE.record]: archive('outcome'),
      [STATE.recordFailure]: archive('failure'),
    },
  });
  const sfn = new SFNClient({ endpoint: service.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const names = new Map<string, PlannedCheck>();
  try {
    for (const [i, check] of checks.entries()) {
      const name = `${runId}-${strategy.id}-${i}`;
      names.set(name, check);
      const input: WorkflowState = {
        check: { provider: check.provider, checkId: check.checkId, checkRef: check.checkRef, createdAt: new Date(VIRTUAL_EPOCH_MS).toISOString() },
      };
      await sfn.send(new StartExecutionCommand({ stateMachineArn: service.stateMachineArn, name, input: JSON.stringify(input) }));
    }
    await service.idle();
    return service.executions().map((execution) => {
      const check = names.get(execution.name)!;
      return {
        check,
        status: execution.status,
        transitions: execution.transitions,
        historyEvents: execution.events,
        polls: polls.get(check.checkRef) ?? 0,
        archives: archives.get(check.checkRef) ?? [],
      };
    });
  } finally {
    sfn.destroy();
    await service.close();
  }
}
