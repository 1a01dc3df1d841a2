/**
 * The side of an exchange that answers it. Comparing branch hashes needs no state (see
 * anti-entropy.ts); once the initiator lists its keys in the differing segments, the responder
 * lists its own keys there (a budgeted scan, digests only), sends its versions of the keys that
 * differ or that the initiator lacks, and asks for the initiator's versions of the keys it lacks
 * or holds otherwise.
 */
import type { AaeKeyDigest, AaeKeys } from '../messages.ts';
import type { ExchangeContext } from './exchange-context.ts';
import { readAndSendRepairs, replicates, sharedEntries, sharedNMin } from './exchange-context.ts';
import { aaeListedKeysMax } from './protocol-limits.ts';
import { keyIdOf, segmentOf } from './object-digest.ts';
import { SegmentListing } from './segment-listing.ts';

export class ResponderExchange {
  private readonly listing: SegmentListing;
  private scanId: number | undefined;
  done = false;

  constructor(
    private readonly context: ExchangeContext,
    readonly peer: string,
    private readonly request: AaeKeys,
    readonly startedMs: number,
  ) {
    // Bounded like the initiator's listing: segments given up here are left out of both
    // directions of this exchange and stay different for the next one.
    this.listing = new SegmentListing(request.segments, context.settings.listedKeysPerExchangeMax);
  }

  start(): void {
    const nMin = sharedNMin(this.context, this.request.partition, this.peer);
    this.scanId = this.context.scanner.start(this.request.partition, {
      onEntries: (entries) => this.listing.add(sharedEntries(this.context, entries, nMin)),
      onDone: () => this.answer(),
    });
  }

  cancel(): void {
    if (this.scanId !== undefined) this.context.scanner.cancel(this.scanId);
    this.done = true;
  }

  private answer(): void {
    this.scanId = undefined;
    const { host } = this.context;
    const { partition, opId } = this.request;
    const theirs = new Map(this.request.keys.map((entry) => [keyIdOf(entry.bucket, entry.key), entry.digest]));
    const mine = new Map(this.listing.keys().map((entry) => [keyIdOf(entry.bucket, entry.key), entry.digest]));
    const differs = (entry: AaeKeyDigest, other: Map<string, string>): boolean => other.get(keyIdOf(entry.bucket, entry.key)) !== entry.digest;
    const toPeer = this.listing.keys().filter((entry) => differs(entry, theirs) && replicates(this.context, this.peer, partition, entry.bucket));
    const covered = new Set(this.listing.coveredSegments());
    const wanted = this.request.keys
      .filter((entry) => covered.has(segmentOf(entry.bucket, entry.key)) && differs(entry, mine) && replicates(this.context, host.self, partition, entry.bucket))
      .slice(0, aaeListedKeysMax)
      .map(({ bucket, key }) => ({ bucket, key }));
    readAndSendRepairs(this.context, this.peer, opId, partition, toPeer);
    host.send(this.peer, { kind: 'aaeKeysReply', opId, partition, status: 'ok', wanted });
    this.done = true;
  }
}
