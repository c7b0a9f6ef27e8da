import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditArchiverStack } from './audit-archiver-stack';
import { loadConfig } from './config';

/** The one stack of the app, as `cdk synth` and the tests build it. */
export const STACK_NAME = 'AuditArchiver';

/**
 * Builds the app: configuration from context, the stack, and cdk-nag's AwsSolutions rules as a validation plugin
 * (cdk-nag 3), so synthesis fails on any unacknowledged finding.
 */
export function buildApp(app: App): AuditArchiverStack {
  const config = loadConfig((key) => app.node.tryGetContext(key));
  const stack = new AuditArchiverStack(app, STACK_NAME, {
    config,
    // Account-agnostic (synth needs no credentials); the region is pinned by context.
    env: { region: config.region },
    description: 'audit-archiver: archives the evidence of identity and content checks before providers delete it',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
