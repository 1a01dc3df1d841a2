/**
 * Actor generations: a node's writer id is `<name>.<incarnation>` (a new incarnation when its
 * disk is wiped, runtime/incarnation.ts), then `~<generation>` once the node has dropped a copy
 * holding dots of its current actor.
 *
 * Why: a dot's counter comes from the coordinator's own copy of the key. A node hands off and
 * drops the copies of keys it no longer replicates (membership/stray-sweeper.ts); if it later
 * coordinated such a key again — forwarded a put by a node whose view is older, coordinating
 * with no replica reachable, or replicating the key again — its copy would no longer hold its
 * own counters, and it would make a dot it had already used for another write: two values under
 * one dot, one silently lost wherever they meet (Riak's kv679). So before it drops a copy that
 * holds dots of its current actor, the node moves past every generation of its own the copy
 * holds, to a writer that has made no dot yet. The generation is written to disk (meta record
 * `actorGeneration`, only ever growing) in the same atomic batch as the first write or drop made
 * under it: a dot or a drop on disk implies its generation is too, so a node that
 * restarts never goes back to a generation it used. Generations are rare — about one per
 * membership change a node takes part in — but each adds a clock entry to the keys the node
 * writes afterwards (contexts keep 16, limits.clockEntriesMax, and prune the idlest).
 */
import { assert } from '../assert.ts';
import type { Actor, StoredObject } from '../version/types.ts';

export const actorGenerationMetaName = 'actorGeneration';

export function actorOfGeneration(baseActor: Actor, generation: number): Actor {
  assert(Number.isSafeInteger(generation) && generation >= 0, `bad actor generation ${generation}`);
  return generation === 0 ? baseActor : `${baseActor}~${generation}`;
}

export function encodeActorGeneration(generation: number): Uint8Array {
  return new TextEncoder().encode(String(generation));
}

/** 0 for a disk that never recorded one (or a record this code did not write). */
export function decodeActorGeneration(bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return 0;
  const generation = Number(new TextDecoder().decode(bytes));
  return Number.isSafeInteger(generation) && generation >= 0 ? generation : 0;
}

/** A node's current writer, and the generation each drop must carry to disk. */
export class ActorGenerations {
  private generationNow: number;
  private actorNow: Actor;

  constructor(
    private readonly baseActor: Actor,
    generation: number,
  ) {
    this.generationNow = generation;
    this.actorNow = actorOfGeneration(baseActor, generation);
  }

  get actor(): Actor {
    return this.actorNow;
  }

  get generation(): number {
    return this.generationNow;
  }

  /**
   * Before dropping `object`: moves past every generation of this node that has a dot in it (a
   * restart may have gone back to a generation below one it used, if nothing on disk needed the
   * higher one yet). Returns the generation to persist with the drop.
   */
  generationForDrop(object: StoredObject): number {
    const highest = this.highestGenerationIn(object);
    if (highest >= this.generationNow) {
      this.generationNow = highest + 1;
      this.actorNow = actorOfGeneration(this.baseActor, this.generationNow);
    }
    return this.generationNow;
  }

  /** The highest generation of this node's actor with a dot in `object`'s context; -1 if none. */
  private highestGenerationIn(object: StoredObject): number {
    let highest = -1;
    const prefix = `${this.baseActor}~`;
    const consider = (actor: Actor): void => {
      if (actor === this.baseActor) highest = Math.max(highest, 0);
      else if (actor.startsWith(prefix)) {
        const generation = Number(actor.slice(prefix.length));
        if (Number.isSafeInteger(generation) && generation > 0) highest = Math.max(highest, generation);
      }
    };
    for (const [actor] of object.context.clock) consider(actor);
    for (const [actor] of object.context.dots) consider(actor);
    return highest;
  }
}
