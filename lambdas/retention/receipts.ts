/**
 * Deletion receipts: every expiry (DynamoDB's TTL sweep, an S3 lifecycle expiration) and every erasure appends one.
 * Append-only and hash-chained — each receipt names the sha256 of the one before — so a gap or an edit shows:
 * - the ledger (records/ledger.ts) orders them: receipt N is created only if N is free (a conditional put), so two
 *   writers never fork the chain; the loser reads the new head and tries N + 1;
 * - each receipt is then sealed in the receipts bucket (Object Lock COMPLIANCE in AWS; create-only), byte for byte.
 * `verify` walks the chain: numbers without a gap, every hash matching its text and the next receipt's `prev`, every
 * receipt sealed and the sealed copy identical, and no sealed receipt missing from the chain.
 *
 * A writer that dies between the ledger and the seal leaves the newest receipt unsealed: the next append seals it
 * first, and verify reports it until then (a warning for the newest only; anything older is a failure). A writer
 * retried after it appended finds its receipt by idempotency key among the newest RECENT_RECEIPTS and writes no other.
 */
import { createHash } from 'node:crypto';
import { StorageUnavailableError } from '../common/storage-errors';
import type { ProviderName } from '../checks/check-status';
import type { Ledger, ReceiptItem } from '../records/ledger';

export const GENESIS_PREV = '0'.repeat(64);
/** How far back an append looks for its own receipt (a retried writer): far more than concurrent writers produce. */
export const RECENT_RECEIPTS = 50;
const APPEND_ATTEMPTS = 20;

export type ReceiptKind =
  /** DynamoDB's TTL process deleted the record (retention ended); its objects were handed to lifecycle. */
  | 'expiry'
  /** An S3 lifecycle rule deleted an object version or put a delete marker on it. */
  | 'lifecycle-expiration'
  /** An erasure request was carried out: every object version deleted, the record replaced by a tombstone. */
  | 'erasure'
  /** A record disappeared, but not through the TTL process: someone deleted it. Recorded so it shows. */
  | 'record-deleted';

/** What a receipt says. No personal data: provider, checkRef (a keyed hash), class, dates, counts, request ids. */
export interface ReceiptContent {
  kind: ReceiptKind;
  /** When the deletion happened (the writer's clock, or the event's time for lifecycle). */
  deletedAt: string;
  provider?: ProviderName;
  checkRef?: string;
  retentionClass?: string;
  basis?: string;
  /** Until when the check was kept, on which clock. */
  retainedUntil?: string;
  clock?: string;
  /** Why it was deleted, in words. */
  reason: string;
  deleted: {
    record?: boolean;
    /** Objects (keys) and object versions (delete markers included) deleted. */
    objects?: number;
    versions?: number;
    /** Lifecycle: the key, its version and what S3 did. */
    key?: string;
    versionId?: string;
    deletionType?: string;
    /** Expiry: objects handed to the `expired` lifecycle rule. */
    handedToLifecycle?: number;
  };
  /** An erasure: the request, and when a legal obligation deferred it until. */
  request?: { id: string; requestedAt: string; reason?: string; refusedUntil?: string };
  /** Who deleted: dynamodb-ttl, s3-lifecycle, erase (command or event), erasure-sweep, unknown. */
  by: string;
}

export interface Receipt extends ReceiptContent {
  version: 1;
  seq: number;
  /** sha256 (hex) of the previous receipt's text; GENESIS_PREV for the first. */
  prev: string;
  writtenAt: string;
}

export interface StoredReceipt {
  receipt: Receipt;
  /** The receipt's text, as hashed and sealed. */
  body: string;
  sha256: string;
}

/** The locked copies: one object per receipt, created once. */
export interface ReceiptSeal {
  /** Creates the sealed copy; one already there with the same text is fine, another text is an error. */
  put(seq: number, body: string): Promise<void>;
  /** The sealed text, or undefined when there is none. */
  get(seq: number): Promise<string | undefined>;
  /** Every sealed receipt number. */
  list(): Promise<number[]>;
}

export interface ReceiptBook {
  /** Appends a receipt, or returns the one already written under `idempotencyKey`. */
  append(content: ReceiptContent, idempotencyKey: string): Promise<StoredReceipt>;
  /** The chain in order from `fromSeq`, each receipt parsed (a receipt that does not parse is skipped by list). */
  list(fromSeq?: number): AsyncGenerator<StoredReceipt>;
  verify(): Promise<ChainVerification>;
}

export interface ChainVerification {
  ok: boolean;
  receipts: number;
  /** Failures: a gap, an edit, a broken link, a missing or differing seal, a sealed receipt missing from the chain. */
  problems: string[];
  /** Not failures: the newest receipt not sealed yet (the next append seals it). */
  warnings: string[];
  /** sha256 of the newest receipt: write it down, and a later verify proves nothing before it changed. */
  head?: { seq: number; sha256: string };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function createReceiptBook({ ledger, seal, now }: { ledger: Ledger; seal: ReceiptSeal; now: () => Date }): ReceiptBook {
  async function ensureSealed(item: ReceiptItem): Promise<void> {
    if ((await seal.get(item.seq)) === undefined) await seal.put(item.seq, item.body);
  }

  async function append(content: ReceiptContent, idempotencyKey: string): Promise<StoredReceipt> {
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const recent = await ledger.recentReceipts(RECENT_RECEIPTS);
      const mine = recent.find((item) => item.idempotencyKey === idempotencyKey);
      if (mine) {
        await ensureSealed(mine);
        return stored(mine);
      }
      const head = recent[0];
      if (head) await ensureSealed(head);
      const receipt: Receipt = { version: 1, seq: (head?.seq ?? 0) + 1, prev: head?.sha256 ?? GENESIS_PREV, writtenAt: now().toISOString(), ...content };
      const body = JSON.stringify(receipt);
      const item: ReceiptItem = { seq: receipt.seq, body, sha256: sha256Hex(body), idempotencyKey };
      if (await ledger.putReceipt(item)) {
        await seal.put(item.seq, body);
        return { receipt, body, sha256: item.sha256 };
      }
      // Another writer took this number: read the new head and try the next one.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * (attempt + 1))));
    }
    throw new StorageUnavailableError('receipts: the chain kept moving under concurrent writers');
  }

  async function* list(fromSeq = 1): AsyncGenerator<StoredReceipt> {
    for await (const item of ledger.receipts(fromSeq)) {
      try {
        yield stored(item);
      } catch {
        // Not a receipt any more (edited into something unreadable): verify names it.
      }
    }
  }

  async function verify(): Promise<ChainVerification> {
    const problems: string[] = [];
    const warnings: string[] = [];
    let expected = 1;
    let prev = GENESIS_PREV;
    let count = 0;
    let last: ReceiptItem | undefined;
    const inChain = new Set<number>();
    const unsealed: number[] = [];
    for await (const item of ledger.receipts()) {
      count += 1;
      inChain.add(item.seq);
      if (item.seq !== expected) problems.push(item.seq > expected ? `receipts ${range(expected, item.seq - 1)} are missing from the chain (a gap)` : `receipt ${item.seq} is out of order`);
      const actual = sha256Hex(item.body);
      if (actual !== item.sha256) problems.push(`receipt ${item.seq} was edited: its text no longer matches its sha256`);
      let receipt: Partial<Receipt> | undefined;
      try {
        receipt = JSON.parse(item.body) as Partial<Receipt>;
      } catch {
        problems.push(`receipt ${item.seq} is not JSON`);
      }
      if (receipt && receipt.seq !== item.seq) problems.push(`receipt ${item.seq} says it is number ${String(receipt.seq)}`);
      if (receipt && receipt.prev !== prev) problems.push(`receipt ${item.seq} does not follow receipt ${expected - 1}: the link (prev) is broken`);
      const sealed = await seal.get(item.seq);
      if (sealed === undefined) unsealed.push(item.seq);
      else if (sealed !== item.body) problems.push(`receipt ${item.seq} differs from its sealed copy`);
      prev = actual;
      expected = item.seq + 1;
      last = item;
    }
    for (const seq of unsealed) {
      if (seq === last?.seq) warnings.push(`receipt ${seq}, the newest, is not sealed yet (the next receipt written seals it)`);
      else problems.push(`receipt ${seq} has no sealed copy`);
    }
    const strays = (await seal.list()).filter((seq) => !inChain.has(seq)).sort((a, b) => a - b);
    if (strays.length > 0) problems.push(`sealed receipt${strays.length > 1 ? 's' : ''} ${strays.slice(0, 10).join(', ')}${strays.length > 10 ? ', …' : ''} missing from the chain (deleted from the ledger)`);
    return { ok: problems.length === 0, receipts: count, problems, warnings, ...(last ? { head: { seq: last.seq, sha256: sha256Hex(last.body) } } : {}) };
  }

  return { append, list, verify };
}

function stored(item: ReceiptItem): StoredReceipt {
  return { receipt: JSON.parse(item.body) as Receipt, body: item.body, sha256: item.sha256 };
}

function range(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}
