/**
 * A hash tree of one partition (Dynamo §4.7), in the XOR-combined form of Riak's "tictac"
 * trees: each segment's hash is the XOR of the digests of the keys in it, so a write updates
 * its segment in O(1) — XOR the key's old digest out and its new one in — without rescanning
 * the partition. Two levels above the segments: a branch hash is the XOR of its segments, and
 * the root the XOR of the branches, so replicas compare one root, then `branchesCount` branch
 * hashes, then the segments of differing branches only.
 *
 * XOR is order-free, which is what makes the update O(1); differences cancel only if the
 * differing digests XOR to zero, a 2^-64 chance per comparison.
 */
import { assertFailed } from '../assert.ts';

/** Branches under the root. */
export const branchesCount = 32;
/** Segments under each branch. */
export const segmentsPerBranchCount = 32;
/** Segments (leaves of the tree) per partition: each holds the XOR of its keys' digests. */
export const segmentsCount = branchesCount * segmentsPerBranchCount;

const digestPattern = /^[0-9a-f]{16}$/;
/** Hash of an empty segment, branch or tree. */
export const emptyHash = '0000000000000000';

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && digestPattern.test(value);
}

export class HashTree {
  /** Two 32-bit words (high, low) per segment. */
  private readonly words = new Uint32Array(segmentsCount * 2);

  /** XORs `digest` into (or, applied again, out of) `segment`. */
  toggle(segment: number, digest: string): void {
    if (!isDigest(digest)) assertFailed(`digest ${digest} is not 16 hex digits`);
    this.toggleWords(segment, parseInt(digest.slice(0, 8), 16), parseInt(digest.slice(8), 16));
  }

  /** `toggle` with the digest as its two 32-bit words (object-digest.ts `objectDigestInto`). */
  toggleWords(segment: number, high: number, low: number): void {
    if (!(Number.isInteger(segment) && segment >= 0 && segment < segmentsCount)) assertFailed(`segment ${segment} out of range`);
    this.words[segment * 2] = this.words[segment * 2]! ^ high;
    this.words[segment * 2 + 1] = this.words[segment * 2 + 1]! ^ low;
  }

  segmentHash(segment: number): string {
    return hexOfWords(this.words[segment * 2]!, this.words[segment * 2 + 1]!);
  }

  branchHash(branch: number): string {
    let high = 0;
    let low = 0;
    const first = branch * segmentsPerBranchCount;
    for (let s = first; s < first + segmentsPerBranchCount; s++) {
      high ^= this.words[s * 2]!;
      low ^= this.words[s * 2 + 1]!;
    }
    return hexOfWords(high >>> 0, low >>> 0);
  }

  branchHashes(): string[] {
    return Array.from({ length: branchesCount }, (_, branch) => this.branchHash(branch));
  }

  root(): string {
    return xorAll(this.branchHashes());
  }

  /** Segments of `branch` with their hashes. */
  segmentsOf(branch: number): { segment: number; hash: string }[] {
    const first = branch * segmentsPerBranchCount;
    return Array.from({ length: segmentsPerBranchCount }, (_, i) => ({ segment: first + i, hash: this.segmentHash(first + i) }));
  }

  /** The tree of every leaf of both (XOR, segment by segment): the tree of a union of disjoint key sets. */
  static combine(trees: readonly HashTree[]): HashTree {
    const combined = new HashTree();
    for (const tree of trees) for (let i = 0; i < combined.words.length; i++) combined.words[i] = combined.words[i]! ^ tree.words[i]!;
    return combined;
  }

  /** Segments whose hashes differ from `other`'s (for tests and checkers). */
  differingSegments(other: HashTree): number[] {
    const differing: number[] = [];
    for (let s = 0; s < segmentsCount; s++) {
      if (this.words[s * 2] !== other.words[s * 2] || this.words[s * 2 + 1] !== other.words[s * 2 + 1]) differing.push(s);
    }
    return differing;
  }
}

export function xorAll(hashes: readonly string[]): string {
  let high = 0;
  let low = 0;
  for (const hash of hashes) {
    high ^= parseInt(hash.slice(0, 8), 16);
    low ^= parseInt(hash.slice(8), 16);
  }
  return hexOfWords(high >>> 0, low >>> 0);
}

/** A digest or hash as 16 lowercase hex digits, from its two 32-bit words. */
export function hexOfWords(high: number, low: number): string {
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

/** Branch of a segment. */
export function branchOf(segment: number): number {
  return Math.floor(segment / segmentsPerBranchCount);
}
