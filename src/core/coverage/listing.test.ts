import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ListRead } from '../messages.ts';
import { compareBucketNames, compareKeys } from './item-order.ts';
import { Listing, type ListingHost, type ListingOutcome } from './listing.ts';
import { listReadTimeoutMs } from './listing-limits.ts';

/**
 * Replicas as a listing sees them: per node, per partition, the sorted items it stores. Reads are
 * answered in an order the test picks (any interleaving), by a node that is up, down (the read
 * fails) or silent (no answer: the listing's read timeout must give it up).
 */
class Replicas {
  readonly pending: { to: string; read: ListRead }[] = [];
  nowMs = 0;
  private nextOpId = 1;
  outcome: ListingOutcome | undefined;

  constructor(
    private readonly stored: ReadonlyMap<string, readonly (readonly string[])[]>,
    private readonly down: ReadonlySet<string> = new Set(),
    private readonly silent: ReadonlySet<string> = new Set(),
    /** Reads a node answers before it fails every later one (a replica lost mid-listing). */
    private readonly answersBeforeFailing: ReadonlyMap<string, number> = new Map(),
  ) {}
  private readonly answered = new Map<string, number>();

  host(): ListingHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const replicas = this;
    return {
      self: 'n1',
      get nowMs() {
        return replicas.nowMs;
      },
      nextOpId: () => this.nextOpId++,
      send: (to, read) => this.pending.push({ to, read }),
      readLocal: (read) => this.pending.push({ to: 'n1', read }),
      finish: (_listing, outcome) => {
        assert.equal(this.outcome, undefined, 'a listing finishes once');
        this.outcome = outcome;
      },
    };
  }

  /** Answers the pending read at `index` (modulo the count). */
  deliver(listing: Listing, index: number, compare: (a: string, b: string) => number): void {
    const [{ to, read }] = this.pending.splice(index % this.pending.length, 1) as [{ to: string; read: ListRead }];
    if (this.silent.has(to)) return;
    if (this.down.has(to)) return listing.onFailed(this.host(), read.opId);
    const answered = this.answered.get(to) ?? 0;
    if (answered >= (this.answersBeforeFailing.get(to) ?? Infinity)) return listing.onFailed(this.host(), read.opId);
    this.answered.set(to, answered + 1);
    const items = (this.stored.get(to)?.[read.partition] ?? []).filter((item) => read.after === null || compare(item, read.after) > 0);
    const chunk = items.slice(0, read.itemsMax);
    listing.onReply(this.host(), { kind: 'listReadReply', opId: read.opId, items: chunk, next: items.length > read.itemsMax ? chunk.at(-1)! : null });
  }
}

function plan(candidates: string[][], after: string | null, limit: number, compare = compareKeys, bucket: string | null = 'b') {
  return { requester: { type: 'client' as const, requestId: 1 }, bucket, after, limit, deadlineMs: 60_000, candidates, withDeleted: false, chunkItems: 3, chunkBytes: 1 << 20, compare };
}

/** Lists every page until the end; each page delivers reads in the order `picks` says. */
function listAll(replicas: () => Replicas, candidates: string[][], limit: number, picks: readonly number[], compare = compareKeys, bucket: string | null = 'b'): { pages: string[][]; error?: string } {
  const pages: string[][] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const cluster = replicas();
    const listing = new Listing(plan(candidates, after, limit, compare, bucket));
    listing.start(cluster.host());
    let step = 0;
    while (cluster.outcome === undefined) {
      if (cluster.pending.length === 0) {
        cluster.nowMs += listReadTimeoutMs; // only silent replicas are left: their reads time out
        listing.onTick(cluster.host());
        continue;
      }
      cluster.deliver(listing, picks[step++ % Math.max(1, picks.length)] ?? 0, compare);
    }
    const outcome: ListingOutcome = cluster.outcome;
    if (outcome.kind === 'error') return { pages, error: outcome.code };
    assert.ok(outcome.items.length <= limit);
    pages.push([...outcome.items]);
    if (!outcome.more) return { pages };
    after = outcome.items.at(-1)!;
  }
  throw new Error('too many pages');
}

const partitions = 4;
const nodes = ['n1', 'n2', 'n3'];
/** Partition p is on every node; n1 is asked first (this node), then n2, then n3. */
const everywhere = Array.from({ length: partitions }, () => ['n1', 'n2', 'n3']);
const keyArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 });

describe('listing', () => {
  test('pages through every key once, in order, whatever order replicas answer in and whatever the page size', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 60, size: 'max' }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { maxLength: 50 }), (keys, limit, picks) => {
        // Each key in one partition (as by hash), stored on every replica.
        const byPartition = Array.from({ length: partitions }, (_, p) => keys.filter((_, i) => i % partitions === p).sort(compareKeys));
        const stored = new Map(nodes.map((node) => [node, byPartition]));
        const { pages, error } = listAll(() => new Replicas(stored), everywhere, limit, picks);
        assert.equal(error, undefined);
        assert.deepEqual(pages.flat(), [...keys].sort(compareKeys));
        for (const page of pages.slice(0, -1)) assert.equal(page.length, limit, 'every page but the last is full');
      }),
      { numRuns: 300 },
    );
  });

  test('a replica that is down or silent is replaced by the next one of its partition, which continues where it stopped', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 40, size: 'max' }), fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(), { maxLength: 30 }), fc.constantFrom('down', 'silent'), (keys, limit, picks, how) => {
        const byPartition = Array.from({ length: partitions }, (_, p) => keys.filter((_, i) => i % partitions === p).sort(compareKeys));
        const stored = new Map(nodes.map((node) => [node, byPartition]));
        const broken = new Set(['n1']);
        const replicas = () => (how === 'down' ? new Replicas(stored, broken) : new Replicas(stored, new Set(), broken));
        const { pages, error } = listAll(replicas, everywhere, limit, picks);
        assert.equal(error, undefined);
        assert.deepEqual(pages.flat(), [...keys].sort(compareKeys));
      }),
      { numRuns: 100 },
    );
  });

  test('a replica lost mid-page, after answering some chunks, is replaced by the next, which continues where it stopped: no key missed or repeated', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 12, maxLength: 60, size: 'max' }), fc.integer({ min: 1, max: 30 }), fc.nat({ max: 12 }), fc.nat({ max: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (keys, limit, n1Answers, n2Answers, picks) => {
        const byPartition = Array.from({ length: partitions }, (_, p) => keys.filter((_, i) => i % partitions === p).sort(compareKeys));
        const stored = new Map(nodes.map((node) => [node, byPartition]));
        // n1 and n2 each fail after some reads of this page (chunks are 3 items): n3 finishes. Many
        // keys (size 'max': fast-check's default keeps arrays near 10) so that partitions take chunks.
        const failing = new Map([['n1', n1Answers], ['n2', n2Answers]]);
        const { pages, error } = listAll(() => new Replicas(stored, new Set(), new Set(), failing), everywhere, limit, picks);
        assert.equal(error, undefined);
        assert.deepEqual(pages.flat(), [...keys].sort(compareKeys));
      }),
      { numRuns: 300 },
    );
  });

  test('a partition none of whose replicas answers fails the listing with unavailable', () => {
    const stored = new Map(nodes.map((node) => [node, Array.from({ length: partitions }, () => ['a'])]));
    const { error } = listAll(() => new Replicas(stored, new Set(['n1', 'n2', 'n3'])), everywhere, 10, []);
    assert.equal(error, 'unavailable');
  });

  test('the deadline fails it with timeout', () => {
    const stored = new Map(nodes.map((node) => [node, Array.from({ length: partitions }, () => ['a'])]));
    const cluster = new Replicas(stored, new Set(), new Set(['n1', 'n2', 'n3']));
    const listing = new Listing({ ...plan(everywhere, null, 10), deadlineMs: 100 });
    listing.start(cluster.host());
    cluster.nowMs = 100;
    listing.onTick(cluster.host());
    assert.equal(cluster.outcome?.kind === 'error' && cluster.outcome.code, 'timeout');
  });

  test('bucket names held by many partitions are listed once each', () => {
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 8 }), { minLength: partitions, maxLength: partitions }), fc.array(fc.nat(), { maxLength: 40 }), (perPartition, picks) => {
        const byPartition = perPartition.map((names) => [...names].sort(compareBucketNames));
        const stored = new Map(nodes.map((node) => [node, byPartition]));
        const { pages } = listAll(() => new Replicas(stored), everywhere, 1_000, picks, compareBucketNames, null);
        assert.deepEqual(pages.flat(), [...new Set(perPartition.flat())].sort(compareBucketNames));
      }),
      { numRuns: 200 },
    );
  });

  test('a reply out of order or not after the cursor is not trusted', () => {
    const cluster = new Replicas(new Map());
    const listing = new Listing(plan([['n2']], 'b', 10));
    listing.start(cluster.host());
    const [{ read }] = cluster.pending.splice(0, 1) as [{ to: string; read: ListRead }];
    listing.onReply(cluster.host(), { kind: 'listReadReply', opId: read.opId, items: ['a', 'b', 'd', 'c', 'a', 'e'], next: null });
    assert.deepEqual(cluster.outcome, { kind: 'listed', items: ['d', 'e'], more: false });
  });
});
