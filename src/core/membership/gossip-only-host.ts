/**
 * A MembershipHost for gossip alone: no disk, no keys, no transfers. The paper's spread
 * measurement (sim/paper/gossip-spread.ts) and the membership unit tests drive Membership with
 * it; everything that is not gossip or time is inert.
 */
import type { PeerMessage } from '../messages.ts';
import type { MembershipHost } from './host.ts';

export interface GossipOnlyHostOptions {
  readonly self: string;
  readonly nowMs: () => number;
  readonly send: (to: string, message: PeerMessage) => void;
  /** The failure detector's verdict; every peer is up unless told. */
  readonly isReachable?: (node: string) => boolean;
}

export function gossipOnlyHost(options: GossipOnlyHostOptions): MembershipHost {
  let nextOpId = 1;
  return {
    self: options.self,
    get nowMs() {
      return options.nowMs();
    },
    nextOpId: () => nextOpId++,
    send: options.send,
    persist: () => {},
    scan: () => {},
    store: () => {},
    flush: () => {},
    resolutionOf: () => 'siblings',
    replicasOf: () => [],
    count: () => {},
    isReachable: options.isReachable ?? (() => true),
    beforeDrop: () => {},
  epochOf: () => 0,
  abandoned: () => false,
  };
}
