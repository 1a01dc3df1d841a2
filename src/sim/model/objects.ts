/**
 * What a replica stores for a key, by the definitions (a dotted causal container: Almeida,
 * Baquero, Preguiça et al.): a set of siblings, each named by its dot, and the causal history
 * of everything the replica has seen of the key. The two things a replica does to it:
 *
 * - **join** two replicas' objects: a sibling survives unless the other side has seen its event
 *   and does not hold it — it was superseded there; the history is the union.
 * - **coordinate** a client's write: the new version gets the next event of the coordinating
 *   actor past every one of its events this replica has seen; the stored siblings the client's
 *   context had seen are superseded; the history gains the client's context and the new event.
 *
 * The checkers use `join` to say what the key holds once all its copies meet; the property test
 * (model.test.ts) holds the core's coordinateWrite and mergeObjects to both.
 */
import { DotSet, type EncodedContext } from './dot-set.ts';
import { dotId, type ModelDot } from './dots.ts';

export interface ModelSibling {
  readonly dot: ModelDot;
}

export interface ModelObject<S extends ModelSibling = ModelSibling> {
  readonly siblings: readonly S[];
  readonly context: DotSet;
}

/** A stored object of the core (structurally), read by the model's definitions. */
export interface EncodedObject<S extends ModelSibling = ModelSibling> {
  readonly siblings: readonly S[];
  readonly context: EncodedContext;
}

export function modelObject<S extends ModelSibling>(object: EncodedObject<S>): ModelObject<S> {
  return { siblings: object.siblings, context: DotSet.fromEncoded(object.context) };
}

/** The join of two replicas' objects. Siblings both hold are taken from `a`. */
export function joinObjects<S extends ModelSibling>(a: ModelObject<S>, b: ModelObject<S>): ModelObject<S> {
  const inA = new Set(a.siblings.map((sibling) => dotId(sibling.dot)));
  const inB = new Set(b.siblings.map((sibling) => dotId(sibling.dot)));
  const siblings = [
    ...a.siblings.filter((sibling) => inB.has(dotId(sibling.dot)) || !b.context.has(sibling.dot)),
    ...b.siblings.filter((sibling) => !inA.has(dotId(sibling.dot)) && !a.context.has(sibling.dot)),
  ];
  return { siblings, context: a.context.union(b.context) };
}

export function joinAll<S extends ModelSibling>(objects: Iterable<ModelObject<S>>): ModelObject<S> | null {
  let joined: ModelObject<S> | null = null;
  for (const object of objects) joined = joined === null ? object : joinObjects(joined, object);
  return joined;
}

/** A write's new event at a replica that coordinates it as `actor`. */
export function nextDot(stored: ModelObject | null, actor: string): ModelDot {
  return [actor, (stored?.context.highest(actor) ?? 0) + 1];
}

/** The object after a coordinated write of `sibling` (whose dot is `nextDot`) sent with `sentContext`. */
export function coordinate<S extends ModelSibling>(stored: ModelObject<S> | null, sentContext: DotSet, sibling: S): ModelObject<S> {
  const survivors = (stored?.siblings ?? []).filter((kept) => !sentContext.has(kept.dot));
  return { siblings: [...survivors, sibling], context: (stored?.context ?? DotSet.empty).union(sentContext).with(sibling.dot) };
}

/** Same history and the same siblings (by dot, and by `sameContents` for what each holds). */
export function objectsAgree<S extends ModelSibling>(a: ModelObject<S>, b: ModelObject<S>, sameContents: (x: S, y: S) => boolean): boolean {
  if (a.siblings.length !== b.siblings.length || !a.context.equals(b.context)) return false;
  const byDot = new Map(b.siblings.map((sibling) => [dotId(sibling.dot), sibling]));
  return a.siblings.every((sibling) => {
    const other = byDot.get(dotId(sibling.dot));
    return other !== undefined && sameContents(sibling, other);
  });
}
