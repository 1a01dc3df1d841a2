/**
 * The writer id a node uses for a write it coordinates for a key it does not replicate:
 * forwarded by a node whose view is older, or coordinated here because no replica was reachable
 * (Dynamo §4.6). A dot's counter comes from the coordinator's own copy of the key, and a node
 * hands off and drops its copies of keys it no longer replicates (membership/stray-sweeper.ts).
 * With its usual actor it could then make a dot it had already used for another write — two
 * values under one dot, one silently lost wherever they meet (Riak's kv679).
 *
 * So such writes use a visiting actor, `<actor>/<boot>`, new on every start of the node, and
 * before a copy holding the visiting actor's dots is dropped, its highest counter is remembered
 * (in memory: a restart changes the actor anyway), and the next visiting write of that key
 * starts above it. The usual actor only writes keys the node replicates, whose copy it keeps.
 */
import { counterOf } from '../version/causal-context.ts';
import type { Actor, StoredObject } from '../version/types.ts';

/** Keys whose dropped counters a node remembers; when full, such copies are not dropped. */
export const droppedCountersKeysMax = 100_000;

export class VisitingActor {
  readonly actor: Actor;
  /** By bucket NUL key: the highest counter of `actor` in a copy this node dropped. */
  private readonly dropped = new Map<string, number>();

  /** `boot`: different on every start of the node (the runtime's random first op id). */
  constructor(ownActor: Actor, boot: number) {
    this.actor = `${ownActor}/${boot.toString(36)}`;
  }

  /** The counter a visiting write of this key must exceed. */
  counterFloor(bucket: string, key: string): number {
    return this.dropped.get(`${bucket}\u0000${key}`) ?? 0;
  }

  /**
   * Called before dropping a copy: remembers its counters of the visiting actor. False when the
   * copy holds some and no more keys can be remembered: it must not be dropped then.
   */
  reserveDrop(bucket: string, key: string, object: StoredObject): boolean {
    const counter = counterOf(object.context, this.actor);
    if (counter === 0) return true;
    const id = `${bucket}\u0000${key}`;
    const known = this.dropped.get(id);
    if (known === undefined && this.dropped.size >= droppedCountersKeysMax) return false;
    this.dropped.set(id, Math.max(known ?? 0, counter));
    return true;
  }
}
