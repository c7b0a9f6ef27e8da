import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalIdOf, synthesize } from '../synth';

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
        Properties: { Roles: [{ Ref: logicalIdOf(stack, stack.functions.poll.role) }] },
      }),
    )[0]!;
    expect(pollPolicy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: expect.arrayContaining([secretArn]),
      }),
    );
    expect(Object.keys(template.findOutputs('*', { Value: 'AuditArchiver/liveness' }))).toHaveLength(0);
    expect(Object.keys(template.findOutputs('*', { Value: 'AuditArchiver/kyc' }))).toHaveLength(1);
  });
});
