import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { PROVIDERS, type ProviderName } from '../../../lambdas/checks/check-status';
import { logicalIdOf, synthesize } from '../synth';

type Json = Record<string, any>;

describe('ProviderSecrets', () => {
  it('creates one KMS-encrypted secret per provider without a given ARN, and outputs its name', () => {
    const { stack, template } = synthesize();
    // Three provider secrets, and the identifier key (identifier-secret.test.ts).
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(stack, stack.keys.operations), 'Arn'] };
    for (const provider of ['liveness', 'kyc', 'verification']) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `AuditArchiver/${provider}`,
        Description: Match.stringLikeRegexp(`${provider} provider API key/JWT. Put the real value here after deploy`),
        KmsKeyId: keyArn,
        // A random placeholder: no credential is ever in the template.
        GenerateSecretString: {},
      });
      const outputs = template.findOutputs('*', { Value: `AuditArchiver/${provider}` });
      expect(Object.keys(outputs), provider).toHaveLength(1);
    }
  });

  it('references an existing secret by its complete ARN and grants read on exactly that ARN', () => {
    const secretArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:liveness-jwt-Ab12Cd';
    const { stack, template } = synthesize({ providers: { liveness: { baseUrl: 'https://liveness.example.com', secretArn } } });
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    const pollPolicy = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalIdOf(stack, stack.functions.providers.liveness.poll.role) }] },
      }),
    )[0]!;
    expect(pollPolicy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: expect.arrayContaining([secretArn]),
      }),
    );
    // Another provider's functions are never granted it, nor told where it is.
    const kycPolicy = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalIdOf(stack, stack.functions.providers.kyc.poll.role) }] } });
    expect(JSON.stringify(kycPolicy)).not.toContain(secretArn);
    const kycEnv = template.toJSON().Resources[logicalIdOf(stack, stack.functions.providers.kyc.archive.function)].Properties.Environment.Variables;
    expect(JSON.stringify(kycEnv)).not.toContain(secretArn);
    expect(Object.keys(template.findOutputs('*', { Value: 'AuditArchiver/liveness' }))).toHaveLength(0);
    expect(Object.keys(template.findOutputs('*', { Value: 'AuditArchiver/kyc' }))).toHaveLength(1);
  });

  it("lets each provider's poll and archive role read exactly one provider secret, its own; every other role none", () => {
    const { stack, template } = synthesize();
    const secretIds = Object.fromEntries(PROVIDERS.map((p) => [logicalIdOf(stack, stack.secrets.secrets[p]), p])) as Record<string, ProviderName>;
    // Provider secrets each role may GetSecretValue, by the role's logical ID (across all its policies).
    const readable = new Map<string, Set<ProviderName>>();
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as Json[]) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Json[]) {
        if (![statement.Action].flat().includes('secretsmanager:GetSecretValue')) continue;
        for (const resource of [statement.Resource].flat() as Json[]) {
          // Anything but a Ref to a secret of the stack would be a wildcard or a foreign ARN: fail loudly.
          expect(resource).toHaveProperty('Ref');
          const provider = secretIds[resource.Ref];
          if (!provider) continue; // the identifier key's secret (identifier-secret.test.ts)
          for (const role of policy.Properties.Roles as Json[]) {
            readable.set(role.Ref, (readable.get(role.Ref) ?? new Set()).add(provider));
          }
        }
      }
    }
    const roleId = (fn: { role: unknown }) => logicalIdOf(stack, fn.role as never);
    const expected = new Map<string, Set<ProviderName>>();
    for (const provider of PROVIDERS) {
      const { poll, archive } = stack.functions.providers[provider];
      expected.set(roleId(poll), new Set([provider]));
      expected.set(roleId(archive), new Set([provider]));
    }
    expect(readable).toEqual(expected);
    // Said for the two that start and record checks of every provider: no provider secret at all.
    expect(readable.get(roleId(stack.trigger.startFunction))).toBeUndefined();
    expect(readable.get(roleId(stack.functions.record))).toBeUndefined();
    // And each function is told its own provider and its own secret's ARN only.
    for (const provider of PROVIDERS) {
      for (const fn of Object.values(stack.functions.providers[provider])) {
        const env = template.toJSON().Resources[logicalIdOf(stack, fn.function)].Properties.Environment.Variables;
        expect(env.PROVIDER).toBe(provider);
        const named = JSON.stringify(env.PROVIDER_SECRET_ARNS).match(/ProviderSecrets(liveness|kyc|verification)/g);
        expect(named).toEqual([`ProviderSecrets${provider}`]);
      }
    }
  });
});
