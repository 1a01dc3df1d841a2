/**
 * The simulated network between nodes. It delays every message by a random latency (so
 * messages overtake each other: reordering), drops and duplicates some, cuts the nodes into
 * partition groups, and clogs single links in one direction.
 *
 * How failures are reported mirrors the real transport (src/runtime/transport/peer-link.ts):
 * a message to a node that is down or on the far side of a partition fails after a short
 * "connection refused / timed out" delay, and a message in flight when its link breaks is
 * reported undelivered (it may still have arrived: the ack was lost). A message dropped at
 * random on a healthy link is never reported — only the request's deadline catches that.
 * A clogged link holds messages (a stalled TCP stream) and releases them when it unclogs.
 */
import type { PeerMessage } from '../core/messages.ts';
import type { EventQueue } from './event-queue.ts';
import type { Prng } from './prng.ts';

export interface NetworkConfig {
  /** Every message takes at least this long. */
  readonly latencyUsMin: number;
  /** Mean of the exponential part added on top (its long tail reorders messages). */
  readonly latencyUsMeanExtra: number;
  /** How long a sender waits before it learns a send failed (refused, or connect timeout). */
  readonly failureDetectUsMin: number;
  readonly failureDetectUsMax: number;
}

export const defaultNetworkConfig: NetworkConfig = {
  latencyUsMin: 200,
  latencyUsMeanExtra: 1_500,
  failureDetectUsMin: 1_000,
  failureDetectUsMax: 20_000,
};

/** What the network needs of the world: which life of a node is running, and where to hand messages. */
export interface NetworkHost {
  /** The running life (boot count) of a node, or null while it is down. */
  nodeLife(name: string): number | null;
  deliver(to: string, from: string, message: PeerMessage): void;
  /** Tells `from` (if the life that sent it is still running) that `message` may not have arrived. */
  reportFailure(from: string, fromLife: number, to: string, message: PeerMessage): void;
}

interface InFlight {
  readonly from: string;
  readonly fromLife: number;
  readonly to: string;
  readonly toLife: number;
  readonly message: PeerMessage;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  failed: number;
}

export class SimNetwork {
  /** Partition group of each node; a node not listed is in group 0. Empty map: no partition. */
  private groups = new Map<string, number>();
  /** The groups of the partition in force (the array given to `partition`), empty when none. */
  partitionGroups: readonly (readonly string[])[] = [];
  private readonly clogged = new Map<string, InFlight[]>();
  dropRate = 0;
  duplicateRate = 0;
  /** Multiplies every latency (a latency spike fault). */
  latencyScale = 1;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, failed: 0 };

  constructor(
    private readonly config: NetworkConfig,
    private readonly queue: EventQueue,
    private readonly prng: Prng,
    private readonly host: NetworkHost,
  ) {}

  send(from: string, fromLife: number, to: string, message: PeerMessage): void {
    this.stats.sent++;
    const toLife = this.host.nodeLife(to);
    if (toLife === null || !this.connected(from, to)) {
      this.failLater(from, fromLife, to, message);
      return;
    }
    const flight: InFlight = { from, fromLife, to, toLife, message };
    const held = this.clogged.get(linkKey(from, to));
    if (held) held.push(flight);
    else this.transmit(flight);
  }

  /** Cuts the nodes into groups: nodes in different groups cannot talk. Empty: one group again. */
  partition(groups: readonly (readonly string[])[]): void {
    this.partitionGroups = groups;
    this.groups = new Map(groups.flatMap((members, index) => members.map((name) => [name, index] as const)));
  }

  connected(a: string, b: string): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  /** Holds every message from `from` to `to` (one direction only) until `unclog`. */
  clog(from: string, to: string): void {
    if (!this.clogged.has(linkKey(from, to))) this.clogged.set(linkKey(from, to), []);
  }

  unclog(from: string, to: string): void {
    const held = this.clogged.get(linkKey(from, to));
    if (!held) return;
    this.clogged.delete(linkKey(from, to));
    for (const flight of held) this.transmit(flight);
  }

  /** Ends every fault: no partition, no clogs (held messages go on their way), no drops. */
  heal(): void {
    this.partition([]);
    for (const key of [...this.clogged.keys()]) {
      const [from, to] = key.split('\u0000') as [string, string];
      this.unclog(from, to);
    }
    this.dropRate = 0;
    this.duplicateRate = 0;
    this.latencyScale = 1;
  }

  private transmit(flight: InFlight): void {
    if (this.prng.chance(this.dropRate)) {
      this.stats.dropped++;
      return;
    }
    this.queue.after(this.latencyUs(), () => this.arrive(flight, true));
    if (this.prng.chance(this.duplicateRate)) {
      this.stats.duplicated++;
      this.queue.after(this.latencyUs(), () => this.arrive(flight, false));
    }
  }

  /** `reportable`: the original copy; a duplicate never causes a second failure report. */
  private arrive(flight: InFlight, reportable: boolean): void {
    const { from, fromLife, to, toLife, message } = flight;
    if (this.host.nodeLife(to) !== toLife) {
      // The receiver crashed while the message was on its way: its connection broke.
      if (reportable) this.failLater(from, fromLife, to, message);
      return;
    }
    if (!this.connected(from, to)) {
      // The link was cut while the message was on its way: it may or may not have made it.
      if (this.prng.chance(0.5)) this.deliver(flight);
      if (reportable) this.failLater(from, fromLife, to, message);
      return;
    }
    this.deliver(flight);
  }

  private deliver(flight: InFlight): void {
    this.stats.delivered++;
    this.host.deliver(flight.to, flight.from, flight.message);
  }

  private failLater(from: string, fromLife: number, to: string, message: PeerMessage): void {
    this.stats.failed++;
    const { failureDetectUsMin, failureDetectUsMax } = this.config;
    this.queue.after(this.prng.int(failureDetectUsMin, failureDetectUsMax + 1), () => this.host.reportFailure(from, fromLife, to, message));
  }

  private latencyUs(): number {
    const { latencyUsMin, latencyUsMeanExtra } = this.config;
    return (latencyUsMin + this.prng.exponential(latencyUsMeanExtra)) * this.latencyScale;
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}
