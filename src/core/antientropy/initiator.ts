/**
 * The side of an exchange that starts it (Dynamo §4.7): send the partition's branch hashes,
 * take the peer's segment hashes under the branches that differ, list this node's keys in the
 * segments that differ (a budgeted scan), send them with their digests, and finally send the
 * versions the peer asks for. The peer sends its own versions of differing keys meanwhile, so
 * both sides end with the merge of both.
 */
import type { AaeExchangeReply, AaeKeysReply } from '../messages.ts';
import type { ExchangeContext } from './exchange-context.ts';
import { replicates, sendRepairs } from './exchange-context.ts';
import { keyDigest, keyIdOf, segmentOf } from './object-digest.ts';
import type { ScannedEntry } from './scan-types.ts';

type Phase = 'roots' | 'listing' | 'keys' | 'done';

export class InitiatorExchange {
  private phase: Phase = 'roots';
  private scanId: number | undefined;
  private readonly listed = new Map<string, ScannedEntry>();
  private differing = new Set<number>();

  constructor(
    private readonly context: ExchangeContext,
    readonly opId: number,
    readonly peer: string,
    readonly partition: number,
    readonly startedMs: number,
  ) {}

  get done(): boolean {
    return this.phase === 'done';
  }

  start(): void {
    const tree = this.context.trees.settledTree(this.partition);
    if (tree === undefined) return this.finish();
    this.context.host.count('aae.exchanges');
    this.context.host.send(this.peer, { kind: 'aaeExchange', opId: this.opId, partition: this.partition, branches: tree.branchHashes() });
  }

  onExchangeReply(reply: AaeExchangeReply): void {
    if (this.phase !== 'roots') return;
    const tree = this.context.trees.settledTree(this.partition);
    if (reply.status !== 'differ' || tree === undefined) {
      if (reply.status === 'same') this.context.host.count('aae.exchangesInSync');
      return this.finish();
    }
    this.context.host.count('aae.segmentsCompared', reply.segments.length);
    const differing = reply.segments.filter(({ segment, hash }) => tree.segmentHash(segment) !== hash).map(({ segment }) => segment);
    this.differing = new Set(differing.slice(0, this.context.settings.segmentsPerExchangeMax));
    this.context.host.count('aae.segmentsDiffering', differing.length);
    if (this.differing.size === 0) return this.finish();
    this.phase = 'listing';
    this.scanId = this.context.scanner.start(this.partition, {
      onEntries: (entries) => this.onListed(entries),
      onDone: () => this.sendKeys(),
    });
  }

  onKeysReply(reply: AaeKeysReply): void {
    if (this.phase !== 'keys') return;
    const wanted = reply.wanted.map(({ bucket, key }) => this.listed.get(keyIdOf(bucket, key))).filter((entry) => entry !== undefined);
    const toPeer = wanted.filter((entry) => replicates(this.context, this.peer, this.partition, entry.bucket));
    sendRepairs(this.context, this.peer, this.opId, this.partition, toPeer);
    this.finish();
  }

  /** Abandons the exchange (timeout, peer unreachable): the next exchange of the partition retries. */
  finish(): void {
    if (this.scanId !== undefined) this.context.scanner.cancel(this.scanId);
    this.listed.clear();
    this.phase = 'done';
  }

  private onListed(entries: readonly ScannedEntry[]): void {
    for (const entry of entries) {
      if (this.differing.has(segmentOf(entry.bucket, entry.key))) this.listed.set(keyIdOf(entry.bucket, entry.key), entry);
    }
  }

  private sendKeys(): void {
    this.scanId = undefined;
    this.phase = 'keys';
    const keys = [...this.listed.values()].map(({ bucket, key, object }) => ({ bucket, key, digest: keyDigest(bucket, key, object)! }));
    this.context.host.send(this.peer, { kind: 'aaeKeys', opId: this.opId, partition: this.partition, segments: [...this.differing], keys });
  }
}
