/**
 * A causal history as what it is by definition: a set of dots, the write events it has seen.
 * The reference model keeps it as an explicit set — every dot listed, no ranges, no compaction —
 * so that whether it holds a dot is a lookup, not an algorithm to get wrong.
 *
 * The core stores a history compactly, as a version vector plus a cloud of isolated dots
 * (Preguiça et al.; the causal context of a dotted causal container): a clock entry
 * [actor, n, …] stands for the dots (actor, 1) … (actor, n) — a version vector's entry n means
 * "the first n events of actor" — and each cloud dot stands for itself. `fromEncoded` reads that
 * form by this definition alone; it does not assume the core's canonical form (sorted, folded,
 * no dot under its clock entry), so a context that breaks it still means what it says.
 */
import { dotId, type ModelDot } from './dots.ts';

/** The plain data of a context as the core stores and sends it (structurally; no import of the core). */
export interface EncodedContext {
  readonly clock: readonly (readonly [actor: string, counter: number, ...rest: number[]])[];
  readonly dots: readonly (readonly [actor: string, counter: number])[];
}

/**
 * A counter above this in a clock entry is not expanded (the model lists every dot): the
 * simulated clusters make a few hundred versions per key at most.
 */
export const modelCounterMax = 1_000_000;

export class DotSet {
  /** actor → the counters of its events in the set. */
  private readonly byActor: ReadonlyMap<string, ReadonlySet<number>>;
  readonly size: number;

  private constructor(byActor: Map<string, Set<number>>) {
    this.byActor = byActor;
    let size = 0;
    for (const counters of byActor.values()) size += counters.size;
    this.size = size;
  }

  static readonly empty = new DotSet(new Map());

  static of(dots: Iterable<ModelDot>): DotSet {
    const byActor = new Map<string, Set<number>>();
    for (const [actor, counter] of dots) add(byActor, actor, counter);
    return new DotSet(byActor);
  }

  /** The history a version vector plus a cloud stands for (see the file comment). */
  static fromEncoded(context: EncodedContext): DotSet {
    const cached = decoded.get(context);
    if (cached !== undefined) return cached;
    const byActor = new Map<string, Set<number>>();
    for (const [actor, counter] of context.clock) {
      if (!(counter <= modelCounterMax)) throw new Error(`the model does not expand a clock entry of ${counter} events (${actor})`);
      for (let each = 1; each <= counter; each++) add(byActor, actor, each);
    }
    for (const [actor, counter] of context.dots) add(byActor, actor, counter);
    const set = new DotSet(byActor);
    decoded.set(context, set);
    return set;
  }

  has(dot: ModelDot): boolean {
    return this.byActor.get(dot[0])?.has(dot[1]) ?? false;
  }

  /** Whether every dot of `other` is in this set: this history has seen all that one has. */
  includes(other: DotSet): boolean {
    if (other.size > this.size) return false;
    for (const [actor, counters] of other.byActor) {
      const mine = this.byActor.get(actor);
      if (mine === undefined) return false;
      for (const counter of counters) if (!mine.has(counter)) return false;
    }
    return true;
  }

  equals(other: DotSet): boolean {
    return this.size === other.size && this.includes(other);
  }

  /** Every dot either set holds (the join of two histories). */
  union(other: DotSet): DotSet {
    if (other.size === 0 || this.includes(other)) return this;
    if (this.size === 0 || other.includes(this)) return other;
    const byActor = new Map<string, Set<number>>();
    for (const set of [this, other]) for (const [actor, counters] of set.byActor) for (const counter of counters) add(byActor, actor, counter);
    return new DotSet(byActor);
  }

  with(dot: ModelDot): DotSet {
    return this.has(dot) ? this : this.union(DotSet.of([dot]));
  }

  /** The dots of this set that `other` lacks. */
  minus(other: DotSet): ModelDot[] {
    return this.dots().filter((dot) => !other.has(dot));
  }

  /** Every dot, by actor then counter (for reports and tests). */
  dots(): ModelDot[] {
    const dots: ModelDot[] = [];
    for (const actor of [...this.byActor.keys()].sort()) for (const counter of [...this.byActor.get(actor)!].sort((a, b) => a - b)) dots.push([actor, counter]);
    return dots;
  }

  /** The highest counter of `actor` in the set (0 if none): where a coordinator counts on from. */
  highest(actor: string): number {
    let highest = 0;
    for (const counter of this.byActor.get(actor) ?? []) highest = Math.max(highest, counter);
    return highest;
  }

  /** A key that equal sets share (for maps of histories). */
  key(): string {
    return this.dots().map(dotId).join('\u0001');
  }
}

/** Contexts are immutable plain data, often shared (one object reaches N disks): read each once. */
const decoded = new WeakMap<EncodedContext, DotSet>();

function add(byActor: Map<string, Set<number>>, actor: string, counter: number): void {
  let counters = byActor.get(actor);
  if (counters === undefined) byActor.set(actor, (counters = new Set()));
  counters.add(counter);
}
