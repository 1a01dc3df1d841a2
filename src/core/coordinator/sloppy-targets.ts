/**
 * Sloppy quorum (Dynamo §4.6): a request goes to the first N nodes of the key's extended
 * preference list that this node believes reachable, not to the first N nodes. A fallback — a
 * node past the first N — stands in for one unreachable primary and is told which: a write it
 * receives is kept as a hint for that owner and handed back when the owner returns.
 */
import { assert } from '../assert.ts';

export interface SloppyTarget {
  readonly node: string;
  /** The unreachable primary this fallback stands in for; undefined for a primary (and for `self` as an extra target). */
  readonly hintFor: string | undefined;
}

/**
 * The first n reachable nodes of `extended` (the primaries are its first n). With `self`, that
 * node is always among them (a put's coordinator holds the version anyway): when it would not be
 * and a primary is unreachable, it takes the last place, as a fallback for that primary; when
 * every primary is reachable (a put forwarded to it under a view it does not share), it is an
 * extra target after them, keeping its copy as its own — a hint is kept only for a primary the
 * coordinator cannot reach (Dynamo §4.6), never for one it could send the version to. Fallbacks
 * are paired with the unreachable primaries in list order.
 */
export function sloppyTargets(extended: readonly string[], n: number, isReachable: (node: string) => boolean, self?: string): SloppyTarget[] {
  if (primariesServe(extended, n, isReachable, self)) return extended.slice(0, n).map((node) => ({ node, hintFor: undefined }));
  return generalTargets(extended, n, isReachable, self);
}

/** The nodes of `sloppyTargets` (no `self`): a get's, which keeps no hints. */
export function sloppyTargetNodes(extended: readonly string[], n: number, isReachable: (node: string) => boolean): string[] {
  if (primariesServe(extended, n, isReachable)) return extended.slice(0, n);
  return generalTargets(extended, n, isReachable).map(({ node }) => node);
}

/** `sloppyTargets` when some primary is unreachable or `self` is not one of them. */
function generalTargets(extended: readonly string[], n: number, isReachable: (node: string) => boolean, self?: string): SloppyTarget[] {
  const primaries = extended.slice(0, n);
  const chosen: string[] = [];
  for (const node of extended) {
    if (chosen.length === n) break;
    if (node === self || isReachable(node)) chosen.push(node);
  }
  let extra: string | undefined;
  if (self !== undefined && !chosen.includes(self) && extended.includes(self)) {
    if (primaries.every((node) => chosen.includes(node))) extra = self;
    else {
      if (chosen.length === n) chosen.pop();
      chosen.push(self);
    }
  }
  const missing = primaries.filter((node) => !chosen.includes(node));
  const targets = chosen.map((node) => {
    if (primaries.includes(node)) return { node, hintFor: undefined };
    const hintFor = missing.shift();
    assert(hintFor !== undefined, 'a fallback is chosen only in place of a missing primary');
    return { node, hintFor };
  });
  return extra === undefined ? targets : [...targets, { node: extra, hintFor: undefined }];
}

/**
 * The usual case, answered without the lists the general one makes (every get and put asks):
 * all n primaries reachable and `self`, if given, one of them — the targets are the primaries.
 */
function primariesServe(extended: readonly string[], n: number, isReachable: (node: string) => boolean, self?: string): boolean {
  if (extended.length < n) return false;
  let selfAmong = self === undefined;
  for (let i = 0; i < n; i++) {
    const node = extended[i]!;
    if (node === self) selfAmong = true;
    else if (!isReachable(node)) return false;
  }
  return selfAmong;
}

/**
 * The longest a coordinator waits on a silent target before it also asks the next reachable node
 * of the extended list. Dynamo §4.6 sends to "the first N healthy nodes", but a node that has just
 * gone silent — its host vanished, the link was cut — still looks healthy until the failure
 * detector concludes, which takes seconds (a connect timeout, or phi passing its threshold), and
 * a request sent to it would wait out its whole deadline. The silent target stays asked: its
 * answer still counts if it comes.
 */
export const silentTargetWaitMsMax = 1_000;

/** When to look for silent targets: half the request's time, at most `silentTargetWaitMsMax`. */
export function silentTargetWaitMs(timeoutMs: number): number {
  return Math.min(silentTargetWaitMsMax, Math.ceil(timeoutMs / 2));
}

/**
 * The next reachable node of `extended` not yet used, to replace a target whose delivery failed;
 * it stands in for `owner`. Undefined when there is none.
 */
export function nextFallback(extended: readonly string[], used: ReadonlySet<string>, isReachable: (node: string) => boolean): string | undefined {
  return extended.find((node) => !used.has(node) && isReachable(node));
}
