/**
 * The count of a put's stores (Dynamo §5, §6.1), apart from everything a node does: no
 * messages, no disk, no clock — events in, verdicts out, in the style of Riak's
 * riak_kv_put_core. PutOperation (put.ts) chooses the targets and feeds the tally what comes
 * back; put-tally.test.ts drives it through tables of reply orders.
 *
 * - A copy counts for the node it ends on: a target's own store, or the owner a fallback keeps a
 *   hint for. Two copies for one owner (a silent primary that stores after its stand-in did) are
 *   one: handoff merges the hint into the owner's copy.
 * - A target counts once: a reply from a node not waited for (a duplicate, a late one after its
 *   failure was counted) is ignored.
 * - The coordinator's own copy counts once it is on disk, except under `buffered`; under `one` it
 *   must be among the W (the one durable copy, docs/durability.md).
 * - Met once W copies count, `pw` of them primaries' own; settled once nothing is pending (every
 *   target answered or failed, and the own copy counted or failed).
 */
import { KvorumError, quorumNotMet } from '../errors.ts';
import type { Durability } from '../limits.ts';

type OwnCopyState = 'pending' | 'counted' | 'failed';

export class PutTally {
  /** The copies counted, by the node each ends on. */
  private readonly storedFor = new Set<string>();
  private primariesStored = 0;
  /** Targets sent the version and not yet answered, with the owner a fallback keeps it for. */
  private readonly waiting = new Map<string, string | undefined>();
  private own: { readonly owner: string; readonly primary: boolean; state: OwnCopyState } | undefined;

  constructor(
    readonly w: number,
    readonly pw: number,
    readonly durability: Durability,
  ) {}

  /** The coordinator keeps a copy: its own as a primary's (or an extra one), or a hint for `owner`. */
  ownCopy(owner: string, primary: boolean): void {
    this.own = { owner, primary, state: 'pending' };
  }

  /** The own copy reached the disk (or, under `buffered`, the buffer). */
  ownCopyCounted(): void {
    const own = this.own!;
    own.state = 'counted';
    this.storedFor.add(own.owner);
    if (own.primary) this.primariesStored += 1;
  }

  /** The own copy could not be put on disk. */
  ownCopyFailed(): void {
    this.own!.state = 'failed';
  }

  get ownCopyState(): OwnCopyState | undefined {
    return this.own?.state;
  }

  /** The version went to `node`, to keep for `hintFor` (undefined: as its own). */
  sent(node: string, hintFor: string | undefined): void {
    this.waiting.set(node, hintFor);
  }

  isPending(node: string): boolean {
    return this.waiting.has(node);
  }

  /** The owner a pending target keeps the version for (undefined: itself). */
  hintForOf(node: string): string | undefined {
    return this.waiting.get(node);
  }

  /** Targets not yet answered, in the order they were sent the version. */
  pending(): [node: string, hintFor: string | undefined][] {
    return [...this.waiting];
  }

  /** `node` stored the version; false when it was not waited for. */
  stored(node: string): boolean {
    if (!this.waiting.has(node)) return false;
    const hintFor = this.waiting.get(node);
    this.waiting.delete(node);
    this.storedFor.add(hintFor ?? node);
    if (hintFor === undefined) this.primariesStored += 1;
    return true;
  }

  /** `node` refused the version or could not be reached; false when it was not waited for. */
  failed(node: string): boolean {
    return this.waiting.delete(node);
  }

  /** W copies, `pw` of them primaries', and under `one` the coordinator's durable one among them. */
  get met(): boolean {
    const durableEnough = this.durability !== 'one' || this.own?.state === 'counted';
    return this.storedFor.size >= this.w && this.primariesStored >= this.pw && durableEnough;
  }

  /** Nothing more can count: every target answered or failed, and the own copy is decided. */
  get settled(): boolean {
    return this.waiting.size === 0 && this.own?.state !== 'pending';
  }

  /** Why the put failed, with the full count: W missed, else pw. */
  quorumError(): KvorumError {
    return this.storedFor.size < this.w
      ? quorumNotMet({ quorum: 'w', required: this.w, received: this.storedFor.size })
      : quorumNotMet({ quorum: 'pw', required: this.pw, received: this.primariesStored });
  }
}
