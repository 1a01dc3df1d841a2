/**
 * A TombstoneHost for unit tests: a disk of objects and hints in maps, whose reads, hint checks and
 * epoch writes wait until the test runs them (`runPending`), so a test can slip an arrival between
 * the steps of a fence.
 */
import type { StoreTarget } from '../coordinator/operation.ts';
import { configView } from '../membership/initial-view.ts';
import type { ClusterView } from '../membership/view.ts';
import type { PeerMessage, TransferEntry } from '../messages.ts';
import { preferenceList } from '../ring/ring.ts';
import type { Ring } from '../ring/types.ts';
import { servingRing } from '../membership/view.ts';
import type { StoredObject } from '../version/types.ts';
import { PartitionEpochs, type EpochsRecord } from './epochs.ts';
import type { TombstoneHost } from './host.ts';

export const testPartitionCount = 8;

export function testView(names: readonly string[], replicasN = 3): ClusterView {
  return configView(
    names.map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })),
    testPartitionCount,
    replicasN,
  );
}

function storeKey(target: StoreTarget): string {
  return `${target.partition}/${target.bucket}/${target.key}`;
}

export class TestTombstoneHost implements TombstoneHost {
  nowMs = 0;
  incarnation: string;
  view: ClusterView;
  readonly epochs: PartitionEpochs;
  readonly objects = new Map<string, StoredObject>();
  readonly hints = new Set<string>();
  readonly sent: { to: string; message: PeerMessage }[] = [];
  readonly dropped: { target: StoreTarget; object: StoredObject }[] = [];
  readonly counters = new Map<string, number>();
  /** Disk work waiting for `runPending`, in issue order. */
  private pending: (() => void)[] = [];
  private opId = 1;
  unreachable = new Set<string>();
  /** What `scan` answers. */
  scanEntries: TransferEntry[] = [];
  epochWrites = 0;

  constructor(
    readonly self: string,
    view: ClusterView,
    record: EpochsRecord | null = { known: true, member: true, fresh: false, epochs: [] },
  ) {
    this.view = view;
    this.incarnation = `${self}.disk1`;
    this.epochs = new PartitionEpochs(record);
  }

  get ring(): Ring {
    return servingRing(this.view);
  }

  nextOpId(): number {
    return this.opId++;
  }

  send(to: string, message: PeerMessage): void {
    this.sent.push({ to, message });
  }

  isReachable(peer: string): boolean {
    return !this.unreachable.has(peer);
  }


  read(target: StoreTarget, done: (object: StoredObject | null | 'failed') => void): void {
    this.pending.push(() => done(this.objects.get(storeKey(target)) ?? null));
  }

  holdsHint(target: StoreTarget, done: (held: boolean | 'failed') => void): void {
    this.pending.push(() => done(this.hints.has(storeKey(target))));
  }

  afterHintOps(done: () => void): void {
    this.pending.push(done);
  }

  persistEpochs(done: () => void): void {
    this.pending.push(() => {
      this.epochWrites++;
      done();
    });
  }

  drop(target: StoreTarget, object: StoredObject): void {
    this.dropped.push({ target, object });
  }

  scan(_partition: number, _after: { bucket: string; key: string } | null, _entriesMax: number, done: (result: { entries: readonly TransferEntry[]; exhausted: boolean; stamp: number }) => void): void {
    this.pending.push(() => done({ entries: this.scanEntries, exhausted: true, stamp: 0 }));
  }

  replicasOf(partition: number): readonly string[] {
    return preferenceList(this.ring, partition, 3);
  }

  count(metric: string, by = 1): void {
    this.counters.set(metric, (this.counters.get(metric) ?? 0) + by);
  }

  store(target: StoreTarget, object: StoredObject | null): void {
    if (object === null) this.objects.delete(storeKey(target));
    else this.objects.set(storeKey(target), object);
  }

  /** Runs the disk work issued so far (and what it issues in turn), in order. */
  runPending(): void {
    while (this.pending.length > 0) {
      const work = this.pending;
      this.pending = [];
      for (const run of work) run();
    }
  }

  /** Runs only the disk work issued so far. */
  runIssued(): void {
    const work = this.pending;
    this.pending = [];
    for (const run of work) run();
  }

  takeSent(): { to: string; message: PeerMessage }[] {
    return this.sent.splice(0);
  }
}
