import { Stack } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface CheckBusProps {
  /**
   * An existing bus to listen on instead of the stack's own (e.g. `default`). Anyone who may put events on it can
   * start checks; its resource policy is yours to manage, and `producers` does not apply.
   *
   * @default - the stack creates a dedicated bus, `<stack name>-checks`
   */
  readonly existingBusName?: string;
  /**
   * IAM principal ARNs (roles, users; `*` wildcards allowed, e.g. `arn:aws:iam::<account>:role/checks-*`) that may put
   * events on the dedicated bus, compared with `aws:PrincipalArn` (a role's ARN, not its session's). When set, every
   * other principal is denied, in this account too; principals of other accounts in the list are allowed.
   *
   * @default - principals of this account whose IAM policy allows events:PutEvents on the bus
   */
  readonly producers?: readonly string[];
}

/**
 * Where `Check Created` events arrive. An event decides which check is archived and asks for its retention, so who
 * may publish one is a trust boundary: a dedicated bus whose resource policy names the producers, not the account's
 * default bus that every service and role of the account writes to.
 */
export class CheckBus extends Construct {
  public readonly eventBus: IEventBus;
  /** Whether the bus is the stack's own (with the producers policy), not an existing one. */
  public readonly dedicated: boolean;

  constructor(scope: Construct, id: string, props: CheckBusProps = {}) {
    super(scope, id);
    if (props.existingBusName) {
      this.eventBus = EventBus.fromEventBusName(this, 'Bus', props.existingBusName);
      this.dedicated = false;
      return;
    }
    const bus = new EventBus(this, 'Bus', {
      eventBusName: `${Stack.of(this).stackName}-checks`,
      description: 'audit-archiver: Check Created events from the named producers',
    });
    this.eventBus = bus;
    this.dedicated = true;
    const producers = [...(props.producers ?? [])];
    if (producers.length === 0) return;
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NamedProducersPublishChecks',
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { ArnLike: { 'aws:PrincipalArn': producers } },
      }),
    );
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NobodyElsePublishesChecks',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': producers } },
      }),
    );
  }
}
