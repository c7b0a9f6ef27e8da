import { describe, expect, it } from 'vitest';
import { InvalidScriptError, parseCheckScript, parseScenario } from '../../../local/fake-providers';

describe('check scripts', () => {
  it('fills documented defaults', () => {
    const kyc = parseCheckScript({ provider: 'kyc' });
    expect(kyc).toMatchObject({
      outcome: 'success',
      tasks: [
        { type: 'document', imagesFull: 1, tries: 1 },
        { type: 'selfie', imagesFull: 1, tries: 1 },
      ],
      imageFormats: ['jpeg'],
      ttlSeconds: 3600,
    });
    expect(parseCheckScript({ provider: 'liveness' })).toMatchObject({ outcome: 'complete', passed: true, auditFrames: 3 });
    expect(parseCheckScript({ provider: 'verification', outcome: 'escalated' })).toMatchObject({
      escalation: { reason: 'low_confidence', priority: 'high', deadlineMs: 86_400_000 },
    });
  });

  it.each([
    ['unknown provider', { provider: 'other' }],
    ['unknown field (typo)', { provider: 'liveness', auditFrame: 3 }],
    ['KYC sessionId that is not a UUID v1', { provider: 'kyc', checkId: '550e8400-e29b-41d4-a716-446655440000' }],
    ['clientKey over 36 characters', { provider: 'kyc', clientKey: 'k'.repeat(37) }],
    ['image fault on a missing task image', { provider: 'kyc', faults: { images: [{ task: 0, image: 1, kind: 'not-found' }] } }],
    ['frame fault on a missing frame', { provider: 'liveness', auditFrames: 1, faults: { frames: [{ frame: 1, kind: 'unsupported-type' }] } }],
    ['pending with completedAgoMs', { provider: 'verification', pending: { polls: 1 }, completedAgoMs: 5 }],
    ['negative polls', { provider: 'liveness', pending: { polls: -1 } }],
    ['5xx status that is not one', { provider: 'liveness', faults: { serverErrors: { count: 1, status: 404 } } }],
  ])('rejects %s with InvalidScriptError', (_, script) => {
    expect(() => parseCheckScript(script)).toThrow(InvalidScriptError);
  });

  it('never echoes script values in its errors (a liveness id is a secret)', () => {
    const secret = 'secret token with spaces';
    try {
      parseCheckScript({ provider: 'liveness', checkId: secret });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidScriptError);
      expect((error as Error).message).not.toContain(secret);
      expect((error as Error).message).toContain('checkId');
    }
  });

  it('accepts a scenario as {checks} or as a bare array', () => {
    expect(parseScenario({ checks: [{ provider: 'kyc' }] })).toHaveLength(1);
    expect(parseScenario([{ provider: 'kyc' }, { provider: 'liveness' }])).toHaveLength(2);
    expect(() => parseScenario({ checks: [{ provider: 'kyc', outcome: 'nope' }] })).toThrow(InvalidScriptError);
  });
});
