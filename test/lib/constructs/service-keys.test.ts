import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize, type Synthesized } from '../synth';

type Json = Record<string, any>;

describe('ServiceKeys and the key split', () => {
  let synth: Synthesized;
  let resources: Record<string, Json>;
  const idOf = (construct: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, construct);

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources;
  });

  const keyPolicy = (construct: { node: { defaultChild?: unknown } }) => resources[idOf(construct)]!.Properties.KeyPolicy.Statement as Json[];
  /** Every key a role may use, as logical ids: named by its own policies, or naming it in the key's policy. */
  const keysUsedBy = (role: { node: { defaultChild?: unknown } }) => {
    const policies = Object.values(synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: idOf(role) }] } }));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const fromRole = statements
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')))
      .flatMap((s) => [s.Resource].flat())
      .map((r: Json) => r['Fn::GetAtt']?.[0]);
    const roleArn = JSON.stringify({ 'Fn::GetAtt': [idOf(role), 'Arn'] });
    const fromKeys = Object.entries(synth.template.findResources('AWS::KMS::Key'))
      .filter(([, key]) => (key.Properties.KeyPolicy.Statement as Json[]).some((s) => JSON.stringify(s.Principal ?? {}).includes(roleArn)))
      .map(([id]) => id);
    return new Set([...fromRole, ...fromKeys]);
  };

  it('lets the logs service use only the logs key, for this account\'s log groups (encryption context, SourceAccount, SourceArn)', () => {
    const logs = keyPolicy(synth.stack.keys.logs).find((s) => s.Sid === 'AllowCloudWatchLogsOfThisAccount')!;
    expect(logs.Principal).toEqual({ Service: 'logs.us-east-1.amazonaws.com' });
    expect(Object.keys(logs.Condition.ArnLike).sort()).toEqual(['aws:SourceArn', 'kms:EncryptionContext:aws:logs:arn']);
    expect(logs.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    for (const key of [synth.stack.storage.bucketKey, synth.stack.storage.tableKey, synth.stack.keys.operations]) {
      expect(JSON.stringify(keyPolicy(key))).not.toContain('logs.us-east-1.amazonaws.com');
    }
  });

  it('denies the log-delivery service the workflow key unless it acts for this account\'s logs', () => {
    const statements = keyPolicy(synth.stack.keys.operations).filter((s) => JSON.stringify(s.Principal).includes('delivery.logs'));
    const denies = statements.filter((s) => s.Effect === 'Deny');
    expect(denies.map((s) => s.Condition)).toEqual([
      { StringNotEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      { ArnNotLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:aws:logs:us-east-1:', { Ref: 'AWS::AccountId' }, ':*']] } } },
    ]);
    expect(denies.every((s) => s.Action === 'kms:*')).toBe(true);
  });

  it('the start function never touches evidence: the workflow key, records through DynamoDB, dead letters to seal only', () => {
    const { keys, storage, trigger } = synth.stack;
    const used = keysUsedBy(trigger.startFunction.role);
    // Its own `started` items and seen markers (no personal data) are in the records table; it seals dead letters.
    expect(used).toEqual(new Set([idOf(keys.operations), idOf(storage.tableKey), idOf(trigger.deadLetterKey)]));
    const statements = Object.values(
      synth.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: idOf(trigger.startFunction.role) }] } }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const on = (key: { node: { defaultChild?: unknown } }) => statements.filter((s) => JSON.stringify(s.Resource).includes(idOf(key)));
    expect(on(storage.tableKey).every((s) => s.Condition?.StringEquals?.['kms:ViaService'] === 'dynamodb.us-east-1.amazonaws.com')).toBe(true);
    expect(on(trigger.deadLetterKey).flatMap((s) => [s.Action].flat())).toEqual(['kms:GenerateDataKey']);
  });

  it('each function touches only the keys of the data it handles', () => {
    const { storage, keys, functions, reconcile, auditorApi } = synth.stack;
    const [evidence, records, operations] = [idOf(storage.bucketKey), idOf(storage.tableKey), idOf(keys.operations)];
    for (const poll of functions.all('poll')) expect(keysUsedBy(poll.role)).toEqual(new Set([operations]));
    for (const archive of functions.all('archive')) expect(keysUsedBy(archive.role)).toEqual(new Set([evidence, records, operations]));
    // The identifier secret is on the operations key (read through Secrets Manager only): record and query name checks.
    expect(keysUsedBy(functions.record.role)).toEqual(new Set([evidence, records, operations]));
    expect(keysUsedBy(reconcile.function.role)).toEqual(new Set([records, operations]));
    expect(keysUsedBy(auditorApi.query.role)).toEqual(new Set([evidence, records, operations]));
    // Retention: evidence and receipts (evidence key), records and ledger (records key), the dead-letter queue.
    expect(keysUsedBy(synth.stack.retention.function.role)).toEqual(new Set([evidence, records, operations]));
  });
});
