/**
 * Causal contexts: the set of write events (dots) a replica or a client has seen, kept as a
 * version vector plus a cloud of isolated dots (the causal context of a dotted causal
 * container: Almeida, Preguiça, Baquero et al.). Every function here returns a context in
 * canonical form, so that two contexts holding the same dots have equal arrays and bytes:
 *
 * - `clock` sorted by actor, one entry per actor, counters ≥ 1;
 * - `dots` sorted by (actor, counter), unique;
 * - no dot is covered by the clock, and none is the clock's next counter (it would be folded
 *   in), so a dot (actor, 1) never sits in the cloud.
 *
 * `lastWriteMs` of a clock entry is the newest write time recorded for that actor. It rides
 * along for pruning only (Dynamo §4.4 drops the longest-idle actors) and never decides
 * causality. Joins take the maximum per actor, so it is as commutative and associative as the
 * dot sets are. A dot that enters the cloud carries no time; when it is later folded into a
 * clock entry the entry keeps its own time. That can make an actor look a little idler than
 * it is, which only changes which actor pruning picks first.
 */
import { assertFailed } from '../assert.ts';
import { actorProblem, compareActors, compareDots, formatDot } from './actor.ts';
import { describeValue } from './describe-value.ts';
import type { Actor, CausalContext, ClockEntry, Dot } from './types.ts';

export const emptyContext: CausalContext = Object.freeze({ clock: Object.freeze([]), dots: Object.freeze([]) });

/** The contiguous counter of `actor` in the clock: dots (actor, 1..n) seen; 0 if none. */
export function clockCounter(ctx: CausalContext, actor: Actor): number {
  const clock = ctx.clock;
  let low = 0;
  let high = clock.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const entry = clock[middle]!;
    const order = compareActors(entry[0], actor);
    if (order === 0) return entry[1];
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return 0;
}

function cloudHas(dots: readonly Dot[], dot: Dot): boolean {
  let low = 0;
  let high = dots.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compareDots(dots[middle]!, dot);
    if (order === 0) return true;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Whether the write event `dot` is in the causal history `ctx`. */
export function covers(ctx: CausalContext, dot: Dot): boolean {
  return dot[1] <= clockCounter(ctx, dot[0]) || cloudHas(ctx.dots, dot);
}

/** The highest counter of `actor` that `ctx` has seen, in the clock or the cloud; 0 if none. */
export function counterOf(ctx: CausalContext, actor: Actor): number {
  let counter = clockCounter(ctx, actor);
  for (const dot of ctx.dots) {
    if (dot[0] === actor && dot[1] > counter) counter = dot[1];
  }
  return counter;
}

/**
 * `ctx` with no dot of `actor` above `counterMax`: its clock entry lowered to at most that (and
 * dropped at 0), its cloud dots above it dropped. Canonical in, canonical out: a cloud dot always
 * lies above its clock entry + 1, so lowering the entry below it drops the dot too.
 */
export function clampCounter(ctx: CausalContext, actor: Actor, counterMax: number): CausalContext {
  if (counterOf(ctx, actor) <= counterMax) return ctx;
  const clock: ClockEntry[] = [];
  for (const entry of ctx.clock) {
    if (entry[0] !== actor) clock.push(entry);
    else if (counterMax > 0) clock.push([actor, Math.min(entry[1], counterMax), entry[2]]);
  }
  return { clock, dots: ctx.dots.filter((dot) => dot[0] !== actor || dot[1] <= counterMax) };
}

/** `ctx` plus one write event `dot`, made at `lastWriteMs` by its actor. */
export function addDot(ctx: CausalContext, dot: Dot, lastWriteMs: number): CausalContext {
  if (actorProblem(dot[0]) !== null) assertFailed(`addDot: bad actor ${describeValue(dot[0])}`);
  if (!(Number.isSafeInteger(dot[1]) && dot[1] >= 1)) assertFailed(`addDot: bad counter ${describeValue(dot[1])}`);
  if (!(Number.isSafeInteger(lastWriteMs) && lastWriteMs >= 0)) assertFailed(`addDot: bad lastWriteMs ${describeValue(lastWriteMs)}`);
  const next = nextOnClock(ctx, dot, lastWriteMs);
  if (next !== undefined) return next;
  const added = compact(ctx.clock, unionDots(ctx.dots, [dot]));
  return stampLastWrite(added, dot[0], lastWriteMs);
}

/**
 * What `addDot` makes in its usual case, a coordinator's next write: `dot` is the one after its
 * actor's clock entry (or its first), and the cloud holds none of the actor's dots (none could
 * fold in). Only the entry changes. Undefined in any other case.
 */
function nextOnClock(ctx: CausalContext, dot: Dot, lastWriteMs: number): CausalContext | undefined {
  const [actor, counter] = dot;
  const { clock } = ctx;
  let at = 0;
  while (at < clock.length && compareActors(clock[at]![0], actor) < 0) at++;
  const entry = clock[at]?.[0] === actor ? clock[at] : undefined;
  if (counter !== (entry?.[1] ?? 0) + 1) return undefined;
  for (const cloudDot of ctx.dots) if (cloudDot[0] === actor) return undefined;
  const next = clock.slice();
  if (entry === undefined) next.splice(at, 0, [actor, counter, lastWriteMs]);
  else next[at] = [actor, counter, Math.max(entry[2], lastWriteMs)];
  return { clock: next, dots: ctx.dots };
}

/** Records that `actor` wrote at `lastWriteMs`, on its clock entry if it has one. */
function stampLastWrite(ctx: CausalContext, actor: Actor, lastWriteMs: number): CausalContext {
  const index = ctx.clock.findIndex((entry) => entry[0] === actor);
  const entry = ctx.clock[index];
  if (entry === undefined || entry[2] >= lastWriteMs) return ctx;
  const clock = ctx.clock.slice();
  clock[index] = [actor, entry[1], lastWriteMs];
  return { clock, dots: ctx.dots };
}

/**
 * The least upper bound of two causal histories: every dot either has seen. Most joins are of a
 * context with one it has seen all of (a replica's copy and the newer version that came, a
 * client's context and what is stored, two equal replies), and answer that one as it is: no
 * new arrays for the garbage collector (both are canonical, so the join would equal it anyway).
 */
export function joinContexts(a: CausalContext, b: CausalContext): CausalContext {
  if (isEmpty(b) || includes(a, b)) return a;
  if (isEmpty(a) || includes(b, a)) return b;
  return compact(joinClocks(a.clock, b.clock), unionDots(a.dots, b.dots));
}

/**
 * Whether joining `b` into `a` leaves `a` as it is: `a` covers every dot of `b` and records each
 * of b's actors' last write no earlier (the join keeps the later write time, `joinClocks`).
 */
function includes(a: CausalContext, b: CausalContext): boolean {
  // Both clocks are sorted by actor, and every actor of b's clock must have an entry in a's (a
  // canonical context holds no actor's first dot in its cloud): one walk along both.
  let i = 0;
  for (const entry of b.clock) {
    while (i < a.clock.length && compareActors(a.clock[i]![0], entry[0]) < 0) i++;
    const mine = a.clock[i];
    if (mine === undefined || mine[0] !== entry[0] || mine[1] < entry[1] || mine[2] < entry[2]) return false;
  }
  for (const dot of b.dots) {
    if (!covers(a, dot)) return false;
  }
  return true;
}

function isEmpty(ctx: CausalContext): boolean {
  return ctx.clock.length === 0 && ctx.dots.length === 0;
}

/** Per actor, the larger counter and the later write time. Both inputs sorted by actor. */
function joinClocks(a: readonly ClockEntry[], b: readonly ClockEntry[]): ClockEntry[] {
  const joined: ClockEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareActors(x[0], y[0]);
    if (order < 0) {
      joined.push(x!);
      i++;
    } else if (order > 0) {
      joined.push(y!);
      j++;
    } else {
      joined.push([x![0], Math.max(x![1], y![1]), Math.max(x![2], y![2])]);
      i++;
      j++;
    }
  }
  return joined;
}

/** Sorted union without duplicates. Both inputs sorted by (actor, counter). */
function unionDots(a: readonly Dot[], b: readonly Dot[]): Dot[] {
  const union: Dot[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x, y);
    if (order <= 0) {
      union.push(x!);
      i++;
      if (order === 0) j++;
    } else {
      union.push(y!);
      j++;
    }
  }
  return union;
}

/**
 * Canonical form of a sorted clock and a sorted (possibly redundant) cloud: drops cloud dots
 * the clock covers and folds a dot whose counter is the clock's next one into the clock,
 * repeatedly. A dot (actor, 1) of an actor without an entry becomes its entry, with time 0
 * (unknown) unless `addDot` stamps it.
 */
function compact(clock: readonly ClockEntry[], dots: readonly Dot[]): CausalContext {
  const outClock: ClockEntry[] = [];
  const outDots: Dot[] = [];
  let i = 0;
  let j = 0;
  while (i < clock.length || j < dots.length) {
    const entry = clock[i];
    const dot = dots[j];
    const actor = nextActor(entry, dot);
    const hasEntry = entry !== undefined && entry[0] === actor;
    if (hasEntry) i++;
    let counter = hasEntry ? entry[1] : 0;
    // The cloud is sorted by counter: once a gap is met, no later dot can fold in.
    for (; j < dots.length && dots[j]![0] === actor; j++) {
      const cloudDot = dots[j]!;
      if (cloudDot[1] <= counter) continue;
      if (cloudDot[1] === counter + 1) {
        counter = cloudDot[1];
        continue;
      }
      const last = outDots[outDots.length - 1];
      if (last === undefined || compareDots(last, cloudDot) !== 0) outDots.push(cloudDot);
    }
    if (counter > 0) outClock.push(hasEntry && counter === entry[1] ? entry : [actor, counter, hasEntry ? entry[2] : 0]);
  }
  return { clock: outClock, dots: outDots };
}

function nextActor(entry: ClockEntry | undefined, dot: Dot | undefined): Actor {
  if (entry === undefined) return dot![0];
  if (dot === undefined) return entry[0];
  return compareActors(entry[0], dot[0]) <= 0 ? entry[0] : dot[0];
}

/** Whether `a` has seen every write event `b` has seen. */
export function contextCovers(a: CausalContext, b: CausalContext): boolean {
  // Canonical `a` never holds its clock's next dot in the cloud, so a shorter contiguous
  // range in `a` means some dot of b's range is missing from `a` altogether.
  for (const entry of b.clock) {
    if (clockCounter(a, entry[0]) < entry[1]) return false;
  }
  return b.dots.every((dot) => covers(a, dot));
}

/** Same dots, same clock, same write times. */
export function contextsEqual(a: CausalContext, b: CausalContext): boolean {
  if (a === b) return true;
  if (a.clock.length !== b.clock.length || a.dots.length !== b.dots.length) return false;
  for (let i = 0; i < a.clock.length; i++) {
    const x = a.clock[i]!;
    const y = b.clock[i]!;
    if (x[0] !== y[0] || x[1] !== y[1] || x[2] !== y[2]) return false;
  }
  for (let i = 0; i < a.dots.length; i++) {
    if (compareDots(a.dots[i]!, b.dots[i]!) !== 0) return false;
  }
  return true;
}

export function isCounter(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

export function isTimeMs(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Why `value` is not a canonical causal context, or null. Checks everything, shapes included,
 * so that decoders of untrusted bytes can use it as well as the assertion.
 */
export function causalContextProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `context must be an object, got ${describeValue(value)}`;
  const { clock, dots } = value as { clock?: unknown; dots?: unknown };
  if (!Array.isArray(clock)) return `context clock must be an array, got ${describeValue(clock)}`;
  if (!Array.isArray(dots)) return `context dots must be an array, got ${describeValue(dots)}`;
  return clockProblem(clock) ?? cloudProblem(dots) ?? compactionProblem({ clock, dots });
}

function clockProblem(clock: readonly unknown[]): string | null {
  for (let i = 0; i < clock.length; i++) {
    const entry = clock[i];
    if (!Array.isArray(entry) || entry.length !== 3) return `clock entry ${i} must be [actor, counter, lastWriteMs], got ${describeValue(entry)}`;
    const [actor, counter, lastWriteMs] = entry as unknown[];
    const problem = actorProblem(actor);
    if (problem !== null) return `clock entry ${i}: ${problem}`;
    if (!isCounter(counter)) return `clock entry ${i}: counter must be a positive safe integer, got ${describeValue(counter)}`;
    if (!isTimeMs(lastWriteMs)) return `clock entry ${i}: lastWriteMs must be a non-negative safe integer, got ${describeValue(lastWriteMs)}`;
    if (i > 0 && compareActors((clock[i - 1] as ClockEntry)[0], actor as Actor) >= 0) {
      return `clock entries must be sorted by actor without duplicates (entry ${i})`;
    }
  }
  return null;
}

function cloudProblem(dots: readonly unknown[]): string | null {
  for (let i = 0; i < dots.length; i++) {
    const dot = dots[i];
    if (!Array.isArray(dot) || dot.length !== 2) return `dot ${i} must be [actor, counter], got ${describeValue(dot)}`;
    const [actor, counter] = dot as unknown[];
    const problem = actorProblem(actor);
    if (problem !== null) return `dot ${i}: ${problem}`;
    if (!isCounter(counter)) return `dot ${i}: counter must be a positive safe integer, got ${describeValue(counter)}`;
    if (i > 0 && compareDots(dots[i - 1] as Dot, dot as unknown as Dot) >= 0) {
      return `dots must be sorted by (actor, counter) without duplicates (dot ${i})`;
    }
  }
  return null;
}

/** Shapes and order already checked. */
function compactionProblem(ctx: CausalContext): string | null {
  for (const dot of ctx.dots) {
    const counter = clockCounter(ctx, dot[0]);
    if (dot[1] <= counter) return `dot ${formatDot(dot)} is already covered by the clock (counter ${counter})`;
    if (dot[1] === counter + 1) return `dot ${formatDot(dot)} must be folded into the clock (counter ${counter})`;
  }
  return null;
}

export function assertCausalContext(ctx: CausalContext): void {
  const problem = causalContextProblem(ctx);
  if (problem !== null) assertFailed(`invalid causal context: ${problem}`);
}
