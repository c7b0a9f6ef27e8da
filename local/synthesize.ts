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

export interface SynthesizedWorkflow {
  /** The ASL definition as Step Functions will run it (CloudFormation tokens resolved to placeholders). */
  definition: object;
  /** Plain-string environment variables of each workflow function, by its entry (`poll`, `archive`, ...). */
  functionEnvironment(entry: 'start' | 'poll' | 'archive' | 'record'): Record<string, string>;
  /** The SQS queues that invoke a workflow function (event source mappings), for the scale model. */
  queueEventSources(entry: 'start' | 'poll' | 'archive' | 'record'): QueueEventSource[];
}

export function synthesizeWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const cdkJson = JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] } });
  buildApp(app);
  const template = app.synth().getStackByName(STACK_NAME).template as { Resources: Record<string, TemplateResource> };
  // Logical IDs carry the construct path (Functions/Poll/Function → FunctionsPollFunction…).
  const ids: Record<'start' | 'poll' | 'archive' | 'record', RegExp> = { start: /Trigger.*Start/, poll: /FunctionsPoll/, archive: /FunctionsArchive/, record: /FunctionsRecord/ };
  const functionOf = (entry: keyof typeof ids) => {
    const found = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && ids[entry].test(id));
    if (!found) throw new Error(`no ${entry} function in the template`);
    return found;
  };
  /** The logical ID a `{ Ref }` or `{ Fn::GetAtt }` names. */
  const named = (value: unknown): string | undefined => {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
    return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
  };
  return {
    definition: definitionFromTemplate(template),
    functionEnvironment(entry) {
      const variables = functionOf(entry)[1].Properties?.Environment?.Variables ?? {};
      return Object.fromEntries(Object.entries(variables).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
    },
    queueEventSources(entry) {
      const [fnId] = functionOf(entry);
      return Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && named(r.Properties?.FunctionName) === fnId)
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
