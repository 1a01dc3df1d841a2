/**
 * The side of an exchange that starts it (Dynamo §4.7): send the partition's branch hashes,
 * take the peer's segment hashes under the branches that differ, list this node's keys in the
 * segments that differ (a budgeted scan; digests only), send them, and finally send the
 * versions the peer asks for. The peer sends its own versions of differing keys meanwhile, so
 * both sides end with the merge of both.
 */
import type { AaeExchangeReply, AaeKeysReply } from '../messages.ts';
import type { ExchangeContext } from './exchange-context.ts';
import { readAndSendRepairs, replicates, sharedEntries } from './exchange-context.ts';
import { SegmentListing } from './segment-listing.ts';

type Phase = 'roots' | 'listing' | 'keys' | 'done';

export class InitiatorExchange {
  private phase: Phase = 'roots';
  private scanId: number | undefined;
  private listing: SegmentListing | undefined;
  /** The replicas differed and this exchange went through to repair: the next may follow at once. */
  repaired = false;

  constructor(
    private readonly context: ExchangeContext,
    readonly opId: number,
    readonly peer: string,
    readonly partition: number,
    readonly startedMs: number,
    /** The buckets compared: those with N ≥ this, which both sides replicate (exchange-context.ts `sharedNMin`). */
    private readonly nMin: number,
  ) {}

  get done(): boolean {
    return this.phase === 'done';
  }

  start(): void {
    const tree = this.context.trees.settledTree(this.partition, this.nMin);
    if (tree === undefined) return this.finish();
    this.context.host.count('aae.exchanges');
    this.context.host.send(this.peer, { kind: 'aaeExchange', opId: this.opId, partition: this.partition, branches: tree.branchHashes() });
  }

  onExchangeReply(reply: AaeExchangeReply): void {
    if (this.phase !== 'roots') return;
    const tree = this.context.trees.settledTree(this.partition, this.nMin);
    if (reply.status !== 'differ' || tree === undefined) {
      if (reply.status === 'same') this.context.host.count('aae.exchangesInSync');
      return this.finish();
    }
    const { host, settings, scanner } = this.context;
    host.count('aae.segmentsCompared', reply.segments.length);
    const differing = reply.segments.filter(({ segment, hash }) => tree.segmentHash(segment) !== hash).map(({ segment }) => segment);
    host.count('aae.segmentsDiffering', differing.length);
    if (differing.length === 0) return this.finish();
    const listing = new SegmentListing(differing.slice(0, settings.segmentsPerExchangeMax), settings.listedKeysPerExchangeMax);
    this.listing = listing;
    this.phase = 'listing';
    this.scanId = scanner.start(this.partition, { onEntries: (entries) => listing.add(sharedEntries(this.context, entries, this.nMin)), onDone: () => this.sendKeys(listing) });
  }

  onKeysReply(reply: AaeKeysReply): void {
    if (this.phase !== 'keys') return;
    const toPeer = reply.wanted.filter(({ bucket }) => replicates(this.context, this.peer, this.partition, bucket));
    readAndSendRepairs(this.context, this.peer, this.opId, this.partition, toPeer);
    this.repaired = reply.status === 'ok';
    this.finish();
  }

  /** Ends the exchange (done, timed out, peer unreachable): the next exchange of the partition retries. */
  finish(): void {
    if (this.scanId !== undefined) this.context.scanner.cancel(this.scanId);
    this.listing = undefined;
    this.phase = 'done';
  }

  private sendKeys(listing: SegmentListing): void {
    this.scanId = undefined;
    this.phase = 'keys';
    const message = { kind: 'aaeKeys', opId: this.opId, partition: this.partition, segments: listing.coveredSegments(), keys: listing.keys() } as const;
    this.listing = undefined;
    this.context.host.send(this.peer, message);
  }
}
