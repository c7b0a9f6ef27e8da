import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import type { AuditArchiverStack } from '../../lib/audit-archiver-stack';
import { PROJECT_ROOT } from '../../local/paths';

/** cdk.json's context: tests synthesize what `cdk synth` synthesizes (feature flags included). */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(`${PROJECT_ROOT}/cdk.json`, 'utf8'),
).context;

export interface Synthesized {
  app: App;
  stack: AuditArchiverStack;
  template: Template;
}

/**
 * The app as bin/app.ts builds it (cdk-nag registered), with bundling skipped and `context` over cdk.json's.
 * Template.fromStack runs the validation plugins: it throws on any unacknowledged cdk-nag finding.
 */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = buildApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical ID CloudFormation knows a construct's resource by. */
export function logicalIdOf(stack: AuditArchiverStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** A JSON document CloudFormation joins from strings and Refs (Stack.toJsonString), with each Ref as `<LogicalId>`. */
export function joinedJson(value: unknown): unknown {
  const [, parts] = (value as { 'Fn::Join': [string, (string | { Ref: string })[]] })['Fn::Join'];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : `<${part.Ref}>`)).join(''));
}
