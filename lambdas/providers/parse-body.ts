import type { z } from 'zod';
import { ProviderContractError } from '../common/errors';
import type { ProviderName } from './check-status';

const MAX_LISTED_ISSUES = 8;

/**
 * Parses a provider body or throws ProviderContractError naming the offending paths and issue codes, never the
 * values (bodies carry PII and images).
 */
export function parseBody<S extends z.ZodType>(
  provider: ProviderName,
  what: string,
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const where = describeIssues(parsed.error.issues);
  throw new ProviderContractError(`${provider}: ${what} does not match the documented schema at ${where}`);
}

type Issue = z.core.$ZodIssue;

/** `results[0].status (invalid_value), verdict (invalid_type)`: paths and codes only. */
export function describeIssues(issues: readonly Issue[]): string {
  const described = [...new Set(flatten(issues, []))];
  const listed = described.slice(0, MAX_LISTED_ISSUES).join(', ');
  const more = described.length > MAX_LISTED_ISSUES ? ` and ${described.length - MAX_LISTED_ISSUES} more` : '';
  return `${listed}${more}`;
}

function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.filter((branch) => !branch.some(isDispatchIssue));
      const relevant = branches.length > 0 ? branches : issue.errors;
      return relevant.flatMap((branch) => flatten(branch, path));
    }
    return [`${formatPath(path)} (${issue.code})`];
  });
}

/**
 * An issue saying "this variant is not the one for this discriminator": a branch that has one is the wrong variant,
 * and reporting its other issues alongside the real problem in the matching variant would only add noise.
 */
function isDispatchIssue(issue: Issue): boolean {
  return (
    (issue.code === 'invalid_union' && issue.errors.length === 0) ||
    (issue.code === 'custom' && issue.params?.['dispatch'] === true)
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
