import { describe, expect, it } from 'vitest';
import { IDENTIFIER_SECRET_ENV } from '../../../lambdas/common/identifier-key';
import { logicalIdOf, synthesize } from '../synth';

describe('IdentifierSecret', () => {
  const { stack, template } = synthesize();
  const secretRef = { Ref: logicalIdOf(stack, stack.identifiers.secret) };

  it('generates a 64-character key at deploy, KMS-encrypted and retained; its ARN is an output', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'AuditArchiver/identifier-key',
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(stack, stack.keys.operations), 'Arn'] },
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
      DeletionPolicy: 'Retain',
    });
    expect(Object.values(template.findOutputs('IdentifierSecretArn'))[0]?.Value).toEqual(secretRef);
  });

  it('is read by every function that names checks, and by no other', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const holders = Object.entries(functions)
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.[IDENTIFIER_SECRET_ENV] !== undefined)
      .map(([id]) => id)
      .sort();
    const expected = [stack.trigger.startFunction, ...stack.functions.all('poll'), ...stack.functions.all('archive'), stack.functions.record, stack.auditorApi.query]
      .map((fn) => fn.logicalId)
      .sort();
    expect(holders).toEqual(expect.arrayContaining(expected));
    for (const id of holders) expect(functions[id]!.Properties.Environment.Variables[IDENTIFIER_SECRET_ENV]).toEqual(secretRef);

    // Every role allowed to read it: the holders' roles and the records officer, no one else. Auditors go through the
    // API (invoke only), whose query function hashes for them.
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(JSON.stringify(secretRef)))
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref));
    const roleOf = new Map(Object.entries(functions).map(([id, fn]) => [id, fn.Properties.Role['Fn::GetAtt'][0]]));
    expect(readers.sort()).toEqual([...holders.map((id) => roleOf.get(id)), logicalIdOf(stack, stack.guard.recordsOfficerRole)].sort());
    const managed = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes(JSON.stringify(secretRef)));
    expect(managed).toEqual([]);
  });
});
