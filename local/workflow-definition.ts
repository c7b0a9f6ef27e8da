/**
 * The state machine definition as deployed, read back from a synthesized template: the DefinitionString's
 * CloudFormation tokens (Fn::Join, Ref, Fn::GetAtt) are resolved to placeholder ARNs so the definition can run in
 * aws-local-stepfunctions (tests, local mode) exactly as CloudFormation will create it.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

export interface PlaceholderEnvironment {
  partition: string;
  region: string;
  accountId: string;
}

export const PLACEHOLDER_ENVIRONMENT: PlaceholderEnvironment = {
  partition: 'aws',
  region: 'us-east-1',
  accountId: '123456789012',
};

/** The placeholder ARN a Lambda function with this logical ID gets in the resolved definition. */
export function placeholderFunctionArn(logicalId: string, env: PlaceholderEnvironment = PLACEHOLDER_ENVIRONMENT): string {
  return `arn:${env.partition}:lambda:${env.region}:${env.accountId}:function:${logicalId}`;
}

/** The template has no (or more than one, without `logicalId`) state machine, or a token this resolver cannot read. */
export class DefinitionResolutionError extends Error {
  override readonly name = 'DefinitionResolutionError';
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/**
 * Returns the ASL definition of the template's state machine (the only one, or the one with `logicalId`).
 * `template` is the template object or its JSON text.
 */
export function definitionFromTemplate(
  template: unknown,
  options: { logicalId?: string; env?: PlaceholderEnvironment } = {},
): StateMachineDefinition {
  const env = options.env ?? PLACEHOLDER_ENVIRONMENT;
  const parsed = (typeof template === 'string' ? JSON.parse(template) : template) as {
    Resources?: Record<string, TemplateResource>;
  };
  const resources = parsed?.Resources ?? {};
  const machines = Object.entries(resources).filter(
    ([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && (!options.logicalId || id === options.logicalId),
  );
  if (machines.length !== 1) {
    throw new DefinitionResolutionError(`expected one state machine in the template, found ${machines.length}`);
  }
  const [, machine] = machines[0]!;
  const raw = machine.Properties?.DefinitionString;
  const text = resolve(raw, resources, env);
  if (typeof text !== 'string') throw new DefinitionResolutionError('DefinitionString did not resolve to a string');
  return JSON.parse(text) as StateMachineDefinition;
}

function resolve(value: unknown, resources: Record<string, TemplateResource>, env: PlaceholderEnvironment): unknown {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') throw new DefinitionResolutionError('unexpected token value');
  const token = value as Record<string, unknown>;
  if ('Fn::Join' in token) {
    const [separator, parts] = token['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolve(part, resources, env)).join(separator);
  }
  if ('Ref' in token) return ref(String(token.Ref), resources, env);
  if ('Fn::GetAtt' in token) {
    const [logicalId, attribute] = token['Fn::GetAtt'] as [string, string];
    if (attribute !== 'Arn') throw new DefinitionResolutionError(`unsupported Fn::GetAtt attribute ${attribute}`);
    return arnOf(logicalId, resources, env);
  }
  throw new DefinitionResolutionError(`unsupported intrinsic ${Object.keys(token).join(',')}`);
}

function ref(name: string, resources: Record<string, TemplateResource>, env: PlaceholderEnvironment): string {
  switch (name) {
    case 'AWS::Partition':
      return env.partition;
    case 'AWS::Region':
      return env.region;
    case 'AWS::AccountId':
      return env.accountId;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      // Ref of a function is its name; of most other resources, an ARN or a name: a stable placeholder either way.
      return resources[name]?.Type === 'AWS::Lambda::Function' ? name : arnOf(name, resources, env);
  }
}

function arnOf(logicalId: string, resources: Record<string, TemplateResource>, env: PlaceholderEnvironment): string {
  const type = resources[logicalId]?.Type;
  if (!type) throw new DefinitionResolutionError(`token refers to unknown resource ${logicalId}`);
  if (type === 'AWS::Lambda::Function') return placeholderFunctionArn(logicalId, env);
  const service = type.split('::')[1]!.toLowerCase();
  return `arn:${env.partition}:${service}:${env.region}:${env.accountId}:${logicalId}`;
}
