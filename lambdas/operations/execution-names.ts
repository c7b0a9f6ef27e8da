/**
 * Execution names of check workflows: `{provider}-{checkRef}` as the start function names them (executionNameOf),
 * and `{provider}-{checkRef}-r{n}` for the n-th restart by reconcile. Names carry no secret: the checkRef is a hash.
 */
import { executionNameOf } from '../events/check-created';
import { PROVIDERS, type ProviderName } from '../checks/check-status';

export interface CheckExecutionName {
  provider: ProviderName;
  checkRef: string;
  /** 0 for the execution the start function started, n for reconcile's n-th restart. */
  restart: number;
}

const NAME = new RegExp(`^(${PROVIDERS.join('|')})-([0-9a-f]{32})(?:-r([1-9][0-9]{0,3}))?$`);

/** The check an execution name belongs to; undefined for names this app did not give. */
export function parseExecutionName(name: string): CheckExecutionName | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  return { provider: match[1] as ProviderName, checkRef: match[2]!, restart: match[3] ? Number(match[3]) : 0 };
}

/** The name of the `restart`-th restart of a check's workflow (at most 51 characters, within the 80 allowed). */
export function restartNameOf(check: { provider: ProviderName; checkRef: string }, restart: number): string {
  if (!Number.isInteger(restart) || restart < 1 || restart > 9999) throw new RangeError('restart must be 1..9999');
  return `${executionNameOf(check)}-r${restart}`;
}
