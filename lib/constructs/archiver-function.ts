import { fileURLToPath } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ARCHITECTURE, BUNDLING, COMMON_ENVIRONMENT, LOG_RETENTION, NODE_RUNTIME, type FunctionSizing } from '../defaults';

/** The repository root: function entries and the lock file are resolved from here. */
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

export interface ArchiverFunctionProps {
  /** Handler file, relative to the project root (e.g. `lambdas/handlers/poll.ts`); it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly sizing: FunctionSizing;
  /** Function-specific variables, added to COMMON_ENVIRONMENT. Never secret values: ARNs and settings only. */
  readonly environment?: Record<string, string>;
  /** Encrypts the function's log group. */
  readonly logKey: IKey;
}

/**
 * A Node.js function with the app's defaults, its own log group (KMS, retention) and its own role. The role starts
 * with nothing but writing to that log group (not the AWSLambdaBasicExecutionRole managed policy, which allows every
 * log group): callers add exactly the grants the function needs.
 */
export class ArchiverFunction extends Construct {
  /** The function. */
  public readonly function: NodejsFunction;
  /** Its execution role: grant to this (or to the function). */
  public readonly role: Role;
  /** Its log group. */
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ArchiverFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', { retention: LOG_RETENTION, encryptionKey: props.logKey });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}/${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.sizing.memorySize,
      timeout: props.sizing.timeout,
      role: this.role,
      logGroup: this.logGroup,
      bundling: BUNDLING,
      environment: { ...COMMON_ENVIRONMENT, ...props.environment },
    });
  }

  /** Logical ID of the function resource, as cdk-nag names it in findings (`<LogicalId.Arn>`). */
  get logicalId(): string {
    return Stack.of(this).getLogicalId(this.function.node.defaultChild as never);
  }
}
