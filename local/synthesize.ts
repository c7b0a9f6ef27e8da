/**
 * The app synthesized in-process exactly as `cdk synth` builds it (cdk.json's context, cdk-nag included), minus
 * asset bundling: local mode and tests read the deployed state-machine definition and function settings from it.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { STACK_NAME, buildApp } from '../lib/app';
import { PROJECT_ROOT } from './paths';
import { definitionFromTemplate } from './workflow-definition';
import { PROVIDERS, type ProviderName } from '../lambdas/checks/check-status';

interface TemplateResource {
  Type: string;
  Properties?: {
    Environment?: { Variables?: Record<string, unknown> };
    FunctionName?: unknown;
    EventSourceArn?: unknown;
    BatchSize?: number;
    ScalingConfig?: { MaximumConcurrency?: number };
  };
}

/** An SQS queue invoking a function, as the template configures its event source mapping. */
export interface QueueEventSource {
  batchSize: number;
  maxConcurrency?: number;
  /** The one provider the function serves (its PROVIDER variable), when it serves one: a poll queue per provider. */
  provider?: ProviderName;
}

/** AWS's default batch size for an SQS event source. */
const SQS_DEFAULT_BATCH_SIZE = 10;

export type WorkflowEntry = 'start' | 'poll' | 'archive' | 'record';

export interface SynthesizedWorkflow {
  /**
   * Each provider's ASL definition as Step Functions will run it (CloudFormation tokens resolved to placeholders): the
   * same states, with that provider's poll queue and archive function.
   */
  definitions: Record<ProviderName, object>;
  /** The first provider's definition: for harnesses that run one state machine for every provider (bench). */
  definition: object;
  /**
   * Plain-string environment variables of a workflow function, by its entry (`poll`, `archive`, ...); poll and archive
   * are one function per provider: `provider`'s (default the first provider's).
   */
  functionEnvironment(entry: WorkflowEntry, provider?: ProviderName): Record<string, string>;
  /** The SQS queues that invoke a workflow function (event source mappings; poll: every provider's), for the scale model. */
  queueEventSources(entry: WorkflowEntry): QueueEventSource[];
}

export function synthesizeWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const cdkJson = JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] } });
  buildApp(app);
  const template = app.synth().getStackByName(STACK_NAME).template as { Resources: Record<string, TemplateResource> };
  // Logical IDs carry the construct path (Functions/KycPoll/Function → FunctionsKycPollFunction…).
  const capital = (provider: ProviderName) => provider[0]!.toUpperCase() + provider.slice(1);
  const ids = (entry: WorkflowEntry, provider?: ProviderName): RegExp =>
    entry === 'start'
      ? /^Trigger.*Start/
      : entry === 'record'
        ? /^FunctionsRecord/
        : new RegExp(`^Functions(${provider ? capital(provider) : PROVIDERS.map(capital).join('|')})${entry === 'poll' ? 'Poll' : 'Archive'}Function`);
  const functionsOf = (entry: WorkflowEntry, provider?: ProviderName) =>
    Object.entries(template.Resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && ids(entry, provider).test(id));
  const functionOf = (entry: WorkflowEntry, provider: ProviderName = PROVIDERS[0]) => {
    const found = functionsOf(entry, provider)[0];
    if (!found) throw new Error(`no ${entry} function in the template`);
    return found;
  };
  // Each provider's state machine (construct Workflow-<provider>).
  const machineOf = (provider: ProviderName): string => {
    const found = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(`Workflow${provider}StateMachine`));
    if (!found) throw new Error(`no ${provider} state machine in the template`);
    return found[0];
  };
  const definitions = Object.fromEntries(PROVIDERS.map((p) => [p, definitionFromTemplate(template, { logicalId: machineOf(p) })])) as Record<ProviderName, object>;
  /** The logical ID a `{ Ref }` or `{ Fn::GetAtt }` names. */
  const named = (value: unknown): string | undefined => {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
    return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
  };
  return {
    definitions,
    definition: definitions[PROVIDERS[0]],
    functionEnvironment(entry, provider) {
      const variables = functionOf(entry, provider)[1].Properties?.Environment?.Variables ?? {};
      return Object.fromEntries(Object.entries(variables).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
    },
    queueEventSources(entry) {
      const fnIds = new Set(functionsOf(entry).map(([id]) => id));
      return Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && fnIds.has(named(r.Properties?.FunctionName) ?? ''))
        .filter((r) => template.Resources[named(r.Properties?.EventSourceArn) ?? '']?.Type === 'AWS::SQS::Queue')
        .map((r) => {
          const provider = template.Resources[named(r.Properties?.FunctionName) ?? '']?.Properties?.Environment?.Variables?.PROVIDER;
          return {
            batchSize: r.Properties?.BatchSize ?? SQS_DEFAULT_BATCH_SIZE,
            ...(r.Properties?.ScalingConfig?.MaximumConcurrency !== undefined ? { maxConcurrency: r.Properties.ScalingConfig.MaximumConcurrency } : {}),
            ...((PROVIDERS as readonly unknown[]).includes(provider) ? { provider: provider as ProviderName } : {}),
          };
        });
    },
  };
}
