import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../lambdas/events/check-created';
import { parseRetentionEvent } from '../../../lambdas/events/retention-events';

const envelope = (detailType: string, detail: unknown) => ({ 'detail-type': detailType, source: 'audit-archiver.checks', time: '2026-03-19T10:00:00Z', detail });

describe('retention events', () => {
  it('parses the three documented events', () => {
    expect(parseRetentionEvent(envelope('Relationship Closed', { clientKey: 'c-1', closedAt: '2026-03-01T00:00:00Z', retentionYears: 7 }))).toMatchObject({
      type: 'Relationship Closed',
      detail: { clientKey: 'c-1', retentionYears: 7 },
    });
    expect(parseRetentionEvent(envelope('Client Interaction', { clientKey: 'c-1' })).type).toBe('Client Interaction');
    expect(parseRetentionEvent(envelope('Erasure Requested', { requestId: 'DSR-1', clientKey: 'c-1' })).detail).toEqual({ requestId: 'DSR-1', clientKey: 'c-1' });
    expect(parseRetentionEvent(envelope('Erasure Requested', { requestId: 'DSR-2', provider: 'liveness', checkId: 'tok' })).detail).toMatchObject({ provider: 'liveness' });
  });

  it('refuses what breaks the contract, naming paths and never values', () => {
    const refused = (event: unknown) => {
      try {
        parseRetentionEvent(event);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEventError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused(envelope('Relationship Closed', { clientKey: 'secret-client', closedAt: 'tomorrow' }))).toMatch(/detail\.closedAt/);
    expect(refused(envelope('Relationship Closed', { clientKey: 'secret-client', closedAt: 'tomorrow' }))).not.toContain('secret-client');
    expect(refused(envelope('Relationship Closed', { clientKey: 'c', closedAt: '2026-03-01T00:00:00Z', retentionYears: -1 }))).toMatch(/retentionYears/);
    // An erasure names a client or a check, with a request id that is a reference, not a name with spaces.
    expect(refused(envelope('Erasure Requested', { requestId: 'Jane Doe', clientKey: 'c' }))).toMatch(/detail/);
    expect(refused(envelope('Erasure Requested', { requestId: 'DSR-3', clientKey: 'c', provider: 'kyc', checkId: 'x' }))).toMatch(/detail/);
    expect(refused(envelope('Erasure Requested', { requestId: 'DSR-4', reason: 'bad\u001b[31m' , clientKey: 'c' }))).toMatch(/detail/);
    expect(refused(envelope('Check Created', {}))).toMatch(/detail-type/);
  });
});
