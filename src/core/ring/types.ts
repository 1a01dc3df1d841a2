/**
 * Ring data types. The ring is cut into Q equal partitions (Dynamo §6.2, strategy 3) and each
 * partition has one owner; a key's replicas are the owners met walking clockwise from the
 * key's partition (its preference list, Dynamo §4.3).
 */

/** A member of the cluster as the ring knows it. */
export interface RingNode {
  /** Unique, stable name (e.g. `n1`). */
  readonly name: string;
  /** host:port of its node-to-node TCP listener. */
  readonly address: string;
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:8001`. */
  readonly httpUrl: string;
  /**
   * host:port of its binary client protocol listener (docs/api.md, "Binary protocol"); absent
   * when the node has none, or when the member was recorded by a node that predates the field.
   * Clients route to it by name and fall back to `httpUrl` without it.
   */
  readonly clientAddress?: string | undefined;
  /** Relative capacity: a node of capacity 2 is given about twice the partitions of capacity 1. */
  readonly capacity: number;
  /** Failure domain (rack, zone). Replicas of a key go to distinct zones when zones are given. */
  readonly zone?: string | undefined;
}

export interface Ring {
  /** Q: a power of two between limits.partitionCountMin and limits.partitionCountMax. */
  readonly partitionCount: number;
  /** owners[p] is the name of the node that owns partition p. */
  readonly owners: readonly string[];
  /** Members by name; every owner is a member. */
  readonly nodes: ReadonlyMap<string, RingNode>;
  /** Bumped on every change of owners or members, so views can be ordered (gossip). */
  readonly version: number;
}

/** What the claim algorithm needs to know of a member. */
export interface ClaimMember {
  readonly name: string;
  readonly capacity: number;
  readonly zone?: string | undefined;
}
