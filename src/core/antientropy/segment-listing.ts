/**
 * The keys of one partition in a set of segments, with their digests only (objects are read
 * again when they are sent: a listing of many large values must not sit in memory). Bounded by
 * `keysMax`: when the listed keys exceed it, the highest segments are given up (the next
 * exchange takes them on), and a single segment that alone exceeds it is listed in part.
 */
import type { AaeKeyDigest } from '../messages.ts';
import { keyDigest, segmentOf } from './object-digest.ts';
import type { ScannedEntry } from './scan-types.ts';

export class SegmentListing {
  private readonly segments: Set<number>;
  private readonly bySegment = new Map<number, AaeKeyDigest[]>();
  private count = 0;

  constructor(
    segments: Iterable<number>,
    private readonly keysMax: number,
  ) {
    this.segments = new Set(segments);
  }

  add(entries: readonly ScannedEntry[]): void {
    for (const { bucket, key, object } of entries) {
      const segment = segmentOf(bucket, key);
      if (!this.segments.has(segment)) continue;
      if (this.count >= this.keysMax && this.segments.size === 1) return; // one huge segment: listed in part
      let keys = this.bySegment.get(segment);
      if (keys === undefined) {
        keys = [];
        this.bySegment.set(segment, keys);
      }
      keys.push({ bucket, key, digest: keyDigest(bucket, key, object)! });
      this.count++;
      while (this.count > this.keysMax && this.segments.size > 1) this.dropHighestSegment();
    }
  }

  /** The segments still covered, ascending. */
  coveredSegments(): number[] {
    return [...this.segments].sort((a, b) => a - b);
  }

  keys(): AaeKeyDigest[] {
    return this.coveredSegments().flatMap((segment) => this.bySegment.get(segment) ?? []);
  }

  private dropHighestSegment(): void {
    const highest = Math.max(...this.segments);
    this.segments.delete(highest);
    this.count -= this.bySegment.get(highest)?.length ?? 0;
    this.bySegment.delete(highest);
  }
}
