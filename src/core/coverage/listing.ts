/**
 * One listing (issue 12 §6): a page of a bucket's keys in order, or the names of the buckets that
 * hold keys, read from one replica of every partition (coverage-plan.ts) and merged.
 *
 * Each partition is a cursor: a chunk of items read from one replica (in storage order, so
 * already sorted), and where its next read starts. The merge answers the least item of all
 * cursors whenever no cursor could still bring a lesser one — every cursor either holds items,
 * has ended, or has read past that item — so a page needs only about `limit / partitions` items
 * of each partition, read a chunk at a time, and the listing never holds more than one chunk per
 * partition plus its page (listing-limits.ts). A replica that fails or stays silent for
 * `listReadTimeoutMs` is replaced by the partition's next candidate, which continues from where
 * the cursor stopped; a partition none of whose replicas answers fails the listing
 * (`unavailable`), and so does the deadline (`timeout`).
 *
 * A listing is not a snapshot: each replica answers what it stores when asked (reads do not block
 * writes), so a key written or deleted while the listing runs may or may not be in it, and a key
 * a replica has not received yet (hinted elsewhere, or missed until anti-entropy repairs it) is
 * not — Riak's coverage queries at r=1 are the same. Each key is listed at most once, in order.
 */
import { KvorumError } from '../errors.ts';
import type { Requester } from '../effects.ts';
import type { ClientError, ListRead, ListReadReply } from '../messages.ts';
import { listReadTimeoutMs } from './listing-limits.ts';

export interface ListingPlan {
  readonly requester: Requester;
  /** The bucket whose keys to list; null: bucket names. */
  readonly bucket: string | null;
  /** Items after this one; null: from the first. */
  readonly after: string | null;
  /** Items to answer at most; a page that reaches it says where the next starts. */
  readonly limit: number;
  readonly deadlineMs: number;
  /** Per partition, the replicas to read it from, in order (coverage-plan.ts). */
  readonly candidates: readonly (readonly string[])[];
  readonly withDeleted: boolean;
  /** Items and name bytes one read returns at most. */
  readonly chunkItems: number;
  readonly chunkBytes: number;
  /** The order of the items (item-order.ts): the order every replica's storage holds them in. */
  readonly compare: (a: string, b: string) => number;
}

export interface ListingHost {
  readonly self: string;
  readonly nowMs: number;
  nextOpId(): number;
  /** Sends a read to another node; its reply or failure comes back through `onReply`/`onFailed`. */
  send(to: string, read: ListRead): void;
  /** Reads this node's own storage; the result comes back through `onReply`. */
  readLocal(read: ListRead): void;
  /** The listing ended: `finished` says how. */
  finish(listing: Listing, outcome: ListingOutcome): void;
}

/** Its items in order, and whether it stopped at `limit` (more may follow); or why it failed. */
export type ListingOutcome = { readonly kind: 'listed'; readonly items: readonly string[]; readonly more: boolean } | ClientError;

interface Cursor {
  readonly partition: number;
  /** Index in the partition's candidates of the replica asked now. */
  candidate: number;
  /** Where the next read starts; null: the first item. */
  resume: string | null;
  /** Items read and not yet answered, sorted; `head` is the index of the least. */
  items: readonly string[];
  head: number;
  ended: boolean;
  /** The read in flight, and when it was sent. */
  readOpId: number | null;
  readSentMs: number;
}

export class Listing {
  done = false;
  private readonly cursors: Cursor[];
  private readonly byRead = new Map<number, Cursor>();
  private readonly answer: string[] = [];

  constructor(private readonly plan: ListingPlan) {
    this.cursors = plan.candidates.map((_, partition) => ({ partition, candidate: 0, resume: plan.after, items: [], head: 0, ended: false, readOpId: null, readSentMs: 0 }));
  }

  get requester(): Requester {
    return this.plan.requester;
  }

  start(host: ListingHost): void {
    for (const cursor of this.cursors) this.read(host, cursor);
    this.advance(host);
  }

  onReply(host: ListingHost, reply: ListReadReply): void {
    const cursor = this.byRead.get(reply.opId);
    if (cursor === undefined || this.done) return;
    this.byRead.delete(reply.opId);
    cursor.readOpId = null;
    if (reply.error !== undefined) return this.failOver(host, cursor);
    // A replica answers items after what it was asked for, in order; anything else is dropped.
    const items: string[] = [];
    for (const item of reply.items) {
      const last = items.at(-1) ?? cursor.resume;
      if (last === null || this.plan.compare(last, item) < 0) items.push(item);
    }
    cursor.items = items;
    cursor.head = 0;
    if (reply.next === null) cursor.ended = true;
    else if (cursor.resume === null || this.plan.compare(reply.next, cursor.resume) > 0) cursor.resume = reply.next;
    else return this.failOver(host, cursor); // a read that did not move on would be asked again forever
    this.advance(host);
  }

  onFailed(host: ListingHost, opId: number): void {
    const cursor = this.byRead.get(opId);
    if (cursor === undefined || this.done) return;
    this.byRead.delete(opId);
    cursor.readOpId = null;
    this.failOver(host, cursor);
  }

  /** Replicas silent for listReadTimeoutMs are replaced; the deadline ends the listing. */
  onTick(host: ListingHost): void {
    if (this.done) return;
    if (host.nowMs >= this.plan.deadlineMs) {
      return this.fail(host, new KvorumError('timeout', `the listing did not finish within its deadline`));
    }
    for (const cursor of this.cursors) {
      if (cursor.readOpId !== null && host.nowMs - cursor.readSentMs >= listReadTimeoutMs) this.onFailed(host, cursor.readOpId);
      if (this.done) return;
    }
  }

  private read(host: ListingHost, cursor: Cursor): void {
    const candidates = this.plan.candidates[cursor.partition]!;
    const to = candidates[cursor.candidate];
    if (to === undefined) {
      return this.fail(host, new KvorumError('unavailable', `no replica of partition ${cursor.partition} answered the listing (asked ${candidates.join(', ') || 'none'})`, { partition: cursor.partition }));
    }
    const opId = host.nextOpId();
    cursor.readOpId = opId;
    cursor.readSentMs = host.nowMs;
    this.byRead.set(opId, cursor);
    const { bucket, withDeleted, chunkItems, chunkBytes } = this.plan;
    const read: ListRead = { kind: 'listRead', opId, partition: cursor.partition, bucket, after: cursor.resume, itemsMax: chunkItems, bytesMax: chunkBytes, withDeleted };
    if (to === host.self) host.readLocal(read);
    else host.send(to, read);
  }

  /** The partition's next replica continues from where the cursor stopped. */
  private failOver(host: ListingHost, cursor: Cursor): void {
    cursor.candidate++;
    this.read(host, cursor);
    if (!this.done) this.advance(host);
  }

  /**
   * Answers items while the least of them is final: no cursor still waiting for a read could
   * bring a lesser one (it reads only past its `resume`).
   */
  private advance(host: ListingHost): void {
    const { compare, limit } = this.plan;
    while (!this.done) {
      let least: Cursor | null = null;
      let bound: string | null = null;
      let unbounded = false;
      for (const cursor of this.cursors) {
        if (cursor.head < cursor.items.length) {
          if (least === null || compare(cursor.items[cursor.head]!, least.items[least.head]!) < 0) least = cursor;
          continue;
        }
        if (cursor.ended) continue;
        if (cursor.readOpId === null) this.read(host, cursor);
        if (this.done) return;
        // Waiting: what it brings is after its resume point.
        if (cursor.resume === null) unbounded = true;
        else if (bound === null || compare(cursor.resume, bound) < 0) bound = cursor.resume;
      }
      if (least === null) {
        if (!unbounded && bound === null) this.complete(host, false);
        return;
      }
      const item = least.items[least.head]!;
      if (unbounded || (bound !== null && compare(item, bound) > 0)) return;
      // Equal items of other partitions (bucket names) are one item.
      for (const cursor of this.cursors) while (cursor.head < cursor.items.length && compare(cursor.items[cursor.head]!, item) === 0) cursor.head++;
      this.answer.push(item);
      if (this.answer.length >= limit) return this.complete(host, true);
    }
  }

  private complete(host: ListingHost, more: boolean): void {
    this.done = true;
    this.byRead.clear();
    host.finish(this, { kind: 'listed', items: this.answer, more });
  }

  private fail(host: ListingHost, error: KvorumError): void {
    this.done = true;
    this.byRead.clear();
    host.finish(this, { kind: 'error', ...error.toJSON() });
  }
}
