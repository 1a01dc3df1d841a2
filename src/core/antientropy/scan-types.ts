/** The non-key store effect anti-entropy needs: an ordered scan of one partition, in chunks. */
import type { StoredObject } from '../version/types.ts';

export interface ScannedEntry {
  readonly bucket: string;
  readonly key: string;
  readonly object: StoredObject;
}

export interface ScanRequest {
  readonly scanId: number;
  readonly partition: number;
  /** Resume strictly after this key (in the engine's key order); null: from the start. */
  readonly after: { readonly bucket: string; readonly key: string } | null;
  readonly entriesMax: number;
  /** Value bytes after which the chunk stops early (it always holds at least one entry). */
  readonly bytesMax: number;
}

export interface ScanResult {
  readonly scanId: number;
  readonly entries: readonly ScannedEntry[];
  /** The partition has no entries after the last one returned. */
  readonly done: boolean;
}
