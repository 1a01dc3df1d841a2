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
 * holds, to a writer that has made no dot yet. The generation is recorded (meta record
 * `actorGeneration`, only ever growing) by a write issued before the drop — writes reach the disk
 * in issue order, so a drop on disk implies its generation is — and on disk before any put is
 * coordinated under it (the node flushes first), so a node that restarts never goes back to a
 * generation it used. A node that crashed moves to the next generation as it starts
 * (`generationAtStart`). Generations are rare — about one per membership change or collected
 * tombstone of its own a node takes part in, and one per crash — but each adds a clock entry to
 * the keys the node writes afterwards (contexts keep 16, limits.clockEntriesMax, and prune the
 * idlest).
 */
import { assertFailed } from '../assert.ts';
import type { Actor, StoredObject } from '../version/types.ts';

export const actorGenerationMetaName = 'actorGeneration';

/**
 * A meta record a node puts on disk as the last thing it does when it stops cleanly, and removes
 * (on disk) before it serves again: its absence at start means the node crashed.
 */
export const cleanStopMetaName = 'cleanStop';

/**
 * The generation a node starts under. A crash can lose writes the node's buffer had not yet put on
 * disk (Dynamo §6.1's object buffer, storage/write-buffer.ts) — among them versions whose dots it
 * had already sent to other replicas, since a coordinator replicates while its own copy is still
 * on its way to disk. Counting on from its disk would reuse those dots, so a node that did not
 * stop cleanly starts as a new writer, the next generation, recorded on disk before it serves.
 * A disk just made (`fresh`) has lost nothing.
 */
export function generationAtStart(recorded: number, stoppedCleanly: boolean, fresh: boolean): number {
  return stoppedCleanly || fresh ? recorded : recorded + 1;
}

export function actorOfGeneration(baseActor: Actor, generation: number): Actor {
  if (!(Number.isSafeInteger(generation) && generation >= 0)) assertFailed(`bad actor generation ${generation}`);
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

/**
 * A node's current writer, and the generation each drop must carry to disk.
 *
 * A generation is recorded on disk before any write is coordinated under it (`isOnDisk`; the
 * node flushes first): the record a drop or a write puts in the buffer could be lost by a crash
 * with the buffer, and a node restarting from an older record would then count on under a
 * generation it had already used (`generationAtStart` adds only one).
 */
export class ActorGenerations {
  private generationNow: number;
  private actorNow: Actor;
  /** The highest generation known to be recorded on disk. */
  private generationOnDisk: number;

  /** `generation`: the one recorded on disk at start. */
  constructor(
    private readonly baseActor: Actor,
    generation: number,
  ) {
    this.generationNow = generation;
    this.generationOnDisk = generation;
    this.actorNow = actorOfGeneration(baseActor, generation);
  }

  /** Whether the current generation is recorded on disk, so writes may be coordinated under it. */
  get isOnDisk(): boolean {
    return this.generationNow <= this.generationOnDisk;
  }

  /** A flush after the record of `generation` was written has completed. */
  recordedOnDisk(generation: number): void {
    this.generationOnDisk = Math.max(this.generationOnDisk, generation);
  }

  get actor(): Actor {
    return this.actorNow;
  }

  get generation(): number {
    return this.generationNow;
  }

  /**
   * Before dropping `object`: moves past every generation of this node that has a dot in it.
   * Returns the generation now, which the node records on disk if it changed.
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
