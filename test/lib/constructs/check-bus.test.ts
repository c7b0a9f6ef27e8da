import { describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize } from '../synth';

type Json = Record<string, any>;

const PRODUCERS = ['arn:aws:iam::111122223333:role/onboarding-service', 'arn:aws:iam::444455556666:role/checks-*'];

describe('CheckBus', () => {
  it('creates a dedicated bus, named after the stack, that the rule listens on', () => {
    const { template, stack } = synthesize();
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'AuditArchiver-checks' });
    const busId = logicalIdOf(stack, stack.bus.eventBus as never);
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: busId } });
    template.hasOutput('EventBusName', { Value: { Ref: busId } });
    // Without named producers the bus has no policy: only this account's principals whose IAM allows PutEvents.
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });

  it('with named producers, allows them and denies PutEvents to every other principal (this account too)', () => {
    const { template, stack } = synthesize({ eventProducers: PRODUCERS });
    const busArn = { 'Fn::GetAtt': [logicalIdOf(stack, stack.bus.eventBus as never), 'Arn'] };
    const policies = Object.values(template.findResources('AWS::Events::EventBusPolicy')) as Json[];
    const statements = policies.map((policy) => policy.Properties.Statement as Json);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Sid: 'cdk-NamedProducersPublishChecks',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { ArnLike: { 'aws:PrincipalArn': PRODUCERS } },
        },
        {
          Sid: 'cdk-NobodyElsePublishesChecks',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { ArnNotLike: { 'aws:PrincipalArn': PRODUCERS } },
        },
      ]),
    );
    expect(statements).toHaveLength(2);
  });

  it('a principal outside the producers list matches the deny: its events never reach the rule', () => {
    // The deny's condition, evaluated as IAM does for ArnNotLike (wildcards * and ?): the outsider matches no producer.
    const matches = (pattern: string, arn: string) =>
      new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(arn);
    const denied = (arn: string) => !PRODUCERS.some((pattern) => matches(pattern, arn));
    expect(denied('arn:aws:iam::111122223333:role/onboarding-service')).toBe(false);
    expect(denied('arn:aws:iam::444455556666:role/checks-eu')).toBe(false);
    expect(denied('arn:aws:iam::111122223333:role/some-other-lambda')).toBe(true);
    expect(denied('arn:aws:iam::444455556666:role/admin')).toBe(true);
  });

  it('listens on an existing bus when named (e.g. default), creating none and leaving its policy alone', () => {
    const { template } = synthesize({ eventBusName: 'default', eventProducers: PRODUCERS });
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'default' });
  });

  it('refuses a producer that is not a principal ARN', () => {
    expect(() => synthesize({ eventProducers: ['111122223333'] })).toThrow(/eventProducers\.0/);
  });
});
