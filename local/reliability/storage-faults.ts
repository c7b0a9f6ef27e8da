/**
 * S3 and DynamoDB faults the emulators cannot produce (throttling, an outage, refusals, a crash between the uploads
 * and the record), injected with aws-sdk-client-mock into every S3Client and DynamoDBDocumentClient of this process — the
 * ones the local stack's handlers built included. Requests of checks without a planned fault pass through to the
 * emulators untouched. Faults answer the way AWS does (SDK service exceptions with their names, faults and HTTP
 * statuses), so the archive engine's own error mapping decides what is retryable.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { StorageFault } from './plan';

const S3_WRITES = new Set(['PutObjectCommand', 'PutObjectTaggingCommand', 'CreateMultipartUploadCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
const FINAL_STATUSES = new Set(['archived', 'archived-partial']);

export interface StorageFaultCounts {
  s3Throttled: number;
  /** Requests refused by an S3 outage (503 SlowDown). */
  s3OutageRefused: number;
  dynamoThrottled: number;
  s3Denied: number;
  crashes: number;
}

export interface StorageFaults {
  /** Plans a fault for the check with this checkRef (its S3 keys and record key contain it). */
  plan(checkRef: string, fault: StorageFault): void;
  /** Faults injected so far. */
  counts(): StorageFaultCounts;
  /** Faults injected so far into the requests of one check. */
  injected(checkRef: string): number;
  /** While paused every request passes (the invariant checker reads the archive). */
  pause(): void;
  resume(): void;
  /** Puts the clients' own `send` back. */
  restore(): void;
}

interface Planned {
  fault: StorageFault;
  injected: number;
  /** An S3 outage: when it began (real ms, the check's first S3 request). */
  since?: number;
}

type Send = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;
type Command = { constructor: { name: string }; input?: Record<string, unknown> };

export function installStorageFaults(): StorageFaults {
  const byRef = new Map<string, Planned>();
  const counts: StorageFaultCounts = { s3Throttled: 0, s3OutageRefused: 0, dynamoThrottled: 0, s3Denied: 0, crashes: 0 };
  let paused = false;
  // The originals first: mockClient replaces `send` on the prototypes, and the stubs call through to these.
  const s3Send = S3Client.prototype.send as unknown as Send;
  const dynamoSend = DynamoDBDocumentClient.prototype.send as unknown as Send;
  const s3 = mockClient(S3Client);
  const dynamo = mockClient(DynamoDBDocumentClient);

  passThrough(s3.send as unknown as SendStub, s3Send, (command) => {
    const input = command.input ?? {};
    const where = String(input.Key ?? input.Prefix ?? '');
    const planned = plannedFor(where);
    if (!planned) return undefined;
    const { fault } = planned;
    const name = command.constructor.name;
    if (fault.kind === 's3-throttle' && planned.injected < fault.failures) {
      planned.injected += 1;
      counts.s3Throttled += 1;
      return new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });
    }
    if (fault.kind === 's3-outage') {
      planned.since ??= Date.now();
      if (Date.now() - planned.since >= fault.ms) return undefined;
      planned.injected += 1;
      counts.s3OutageRefused += 1;
      return new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });
    }
    if (fault.kind === 's3-denied' && S3_WRITES.has(name)) {
      planned.injected += 1;
      counts.s3Denied += 1;
      return new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
    }
    return undefined;
  });

  passThrough(dynamo.send as unknown as SendStub, dynamoSend, (command) => {
    const input = command.input ?? {};
    const item = (input.Item ?? {}) as Record<string, unknown>;
    const key = (input.Key ?? {}) as Record<string, unknown>;
    const planned = plannedFor(String(item.pk ?? key.pk ?? ''));
    if (!planned) return undefined;
    const { fault } = planned;
    if (fault.kind === 'dynamo-throttle' && planned.injected < fault.failures) {
      planned.injected += 1;
      counts.dynamoThrottled += 1;
      return new DynamoDBServiceException({
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'The level of configured provisioned throughput for the table was exceeded.',
      });
    }
    const isFinalRecord = command.constructor.name === 'PutCommand' && FINAL_STATUSES.has(String(item.status));
    if (fault.kind === 'crash-before-record' && isFinalRecord && planned.injected === 0) {
      planned.injected += 1;
      counts.crashes += 1;
      // Not retryable: the task's Retry does not absorb it, as it would not absorb a function that died.
      return new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'crashed' });
    }
    return undefined;
  });

  function plannedFor(text: string): Planned | undefined {
    if (paused) return undefined;
    // checkRefs are 32 hex characters: find one in the key or prefix.
    for (const match of text.matchAll(/[0-9a-f]{32}/g)) {
      const planned = byRef.get(match[0]);
      if (planned) return planned;
    }
    return undefined;
  }

  return {
    plan: (checkRef, fault) => void byRef.set(checkRef, { fault, injected: 0 }),
    counts: () => ({ ...counts }),
    injected: (checkRef) => byRef.get(checkRef)?.injected ?? 0,
    pause: () => void (paused = true),
    resume: () => void (paused = false),
    restore: () => {
      s3.restore();
      dynamo.restore();
    },
  };
}

/** Every call goes through `decide`: an error it returns is thrown, otherwise the original send runs. */
/** The sinon stub aws-sdk-client-mock puts in place of `send`, typed for a fake that sees `this` and the command. */
type SendStub = { callsFake(fn: Send): unknown };

function passThrough(send: SendStub, original: Send, decide: (command: Command) => Error | undefined): void {
  send.callsFake(async function (this: unknown, command: unknown, ...rest: unknown[]) {
    const error = decide(command as Command);
    if (error) throw error;
    return original.call(this, command, ...rest);
  });
}
