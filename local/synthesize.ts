/**
 * The app synthesized in-process exactly as `cdk synth` builds it (cdk.json's context, cdk-nag included), minus
 * asset bundling: local mode and tests read the deployed state-machine definition and function settings from it.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { STACK_NAME, buildApp } from '../lib/app';
import { PROJECT_ROOT } from './paths';
import { definitionFromTemplate } from './workflow-definition';

interface TemplateResource {
  Type: string;
  Properties?: { Environment?: { Variables?: Record<string, unknown> } };
}

export interface SynthesizedWorkflow {
  /** The ASL definition as Step Functions will run it (CloudFormation tokens resolved to placeholders). */
  definition: object;
  /** Plain-string environment variables of each workflow function, by its entry (`poll`, `archive`, ...). */
  functionEnvironment(entry: 'start' | 'poll' | 'archive' | 'record'): Record<string, string>;
}

export function synthesizeWorkflow(context: Record<string, unknown> = {}): SynthesizedWorkflow {
  const cdkJson = JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] } });
  buildApp(app);
  const template = app.synth().getStackByName(STACK_NAME).template as { Resources: Record<string, TemplateResource> };
  return {
    definition: definitionFromTemplate(template),
    functionEnvironment(entry) {
      // Logical IDs carry the construct path (Functions/Poll/Function → FunctionsPollFunction…).
      const ids: Record<typeof entry, RegExp> = { start: /Trigger.*Start/, poll: /FunctionsPoll/, archive: /FunctionsArchive/, record: /FunctionsRecord/ };
      const found = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && ids[entry].test(id));
      if (!found) throw new Error(`no ${entry} function in the template`);
      const variables = found[1].Properties?.Environment?.Variables ?? {};
      return Object.fromEntries(Object.entries(variables).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
    },
  };
}
