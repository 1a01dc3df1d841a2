/**
 * Version vectors (Dynamo §4.4; Parker et al.): per actor, how many of its events have been
 * seen — entry n stands for the events 1 … n. A causal history that is not "downward closed"
 * per actor (it saw event 5 of an actor but not event 4) is a vector plus isolated dots: the
 * dotted form the core stores (Preguiça et al.). This file splits a model history into that
 * form, so a test can hold the core's compact encoding to the set it must stand for, and
 * compares vectors as Dynamo does.
 */
import type { DotSet } from './dot-set.ts';
import type { ModelDot } from './dots.ts';

/** actor → n: the events 1 … n of actor. An actor with n = 0 is left out. */
export type VersionVector = ReadonlyMap<string, number>;

export function vectorCovers(vector: VersionVector, dot: ModelDot): boolean {
  return dot[1] <= (vector.get(dot[0]) ?? 0);
}

/** The vector part of a history: per actor, the longest run 1 … n it holds; and the dots past it. */
export function splitHistory(history: DotSet): { vector: VersionVector; cloud: ModelDot[] } {
  const vector = new Map<string, number>();
  const cloud: ModelDot[] = [];
  for (const dot of history.dots()) {
    const [actor, counter] = dot;
    const run = vector.get(actor) ?? 0;
    if (counter === run + 1) vector.set(actor, counter);
    else cloud.push(dot);
  }
  // dots() lists counters in order, so a dot is in the cloud only if a gap lies below it.
  return { vector, cloud };
}

export type VectorOrder = 'equal' | 'before' | 'after' | 'concurrent';

/** Dynamo's comparison: `a` before `b` when b has seen every event a has, and more. */
export function compareVectors(a: VersionVector, b: VersionVector): VectorOrder {
  let aAhead = false;
  let bAhead = false;
  for (const actor of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(actor) ?? 0;
    const y = b.get(actor) ?? 0;
    if (x > y) aAhead = true;
    if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'after';
  return bAhead ? 'before' : 'equal';
}
