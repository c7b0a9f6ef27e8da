/**
 * The three checks priced by benchmark 4, each as a virtual-time plan (for the state machine runs) and as a fake
 * provider script (for the archive runs). Evidence sizes are assumptions, stated here.
 */
import type { CheckScript } from '../../local/fake-providers';
import type { CheckPlan } from '../polling/workload';

export interface CostScenario {
  id: string;
  label: string;
  plan: CheckPlan;
  /** The check as the fake provider serves it when the archive runs. */
  script: CheckScript;
  /** What the archive does, in order: the escalated verification is archived at escalation and again when resolved. */
  archives: number;
  evidence: string;
}

const KIB = 1024;
const MIB = 1024 * KIB;

export const COST_SCENARIOS: CostScenario[] = [
  {
    id: 'liveness-1min',
    label: 'one-minute liveness',
    plan: { provider: 'liveness', outcome: 'complete', endsAt: 60 },
    script: { provider: 'liveness', auditFrames: 3, frameBytes: 100 * KIB },
    archives: 1,
    evidence: 'probe + 3 audit frames of 100 KiB',
  },
  {
    id: 'kyc-10min',
    label: 'ten-minute KYC',
    plan: { provider: 'kyc', outcome: 'success', endsAt: 600, ttl: 3_600 },
    script: { provider: 'kyc', imageBytes: 1.5 * MIB },
    archives: 1,
    evidence: 'document + selfie, one 1.5 MiB image each',
  },
  {
    id: 'verification-escalated',
    label: 'verification, escalated 3 h',
    plan: { provider: 'verification', outcome: 'escalated', escalatedAt: 30, endsAt: 30 + 3 * 3_600, deadline: 30 + 24 * 3_600 },
    script: { provider: 'verification', outcome: 'escalated', escalation: { resolveAfter: { polls: 1 } } },
    archives: 2,
    evidence: 'result documents only (escalated, then resolved)',
  },
];
