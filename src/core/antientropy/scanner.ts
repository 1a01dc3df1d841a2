/**
 * Budgeted partition scans: each active scan reads one chunk at a time, sized by what the
 * background budget allows, so a tree build or a key listing never outruns its keys-per-second
 * and bytes-per-second share of the disk (budget.ts). Keys are reserved when a chunk is asked
 * for and the unused part given back when it arrives; bytes are charged when they are known.
 */
import type { BackgroundBudget } from './budget.ts';
import type { AntiEntropyHost } from './host.ts';
import { valueBytes } from '../version/object-bytes.ts';
import type { ScannedEntry } from './scan-types.ts';
import type { AntiEntropySettings } from './settings.ts';

export interface ScanListener {
  onEntries(entries: readonly ScannedEntry[]): void;
  onDone(): void;
}

interface ActiveScan {
  readonly partition: number;
  readonly listener: ScanListener;
  after: { bucket: string; key: string } | null;
  inFlight: boolean;
}

export class Scanner {
  private nextId = 1;
  private readonly scans = new Map<number, ActiveScan>();

  constructor(
    private readonly host: AntiEntropyHost,
    private readonly budget: BackgroundBudget,
    private readonly settings: AntiEntropySettings,
  ) {}

  /** Starts a scan of `partition`; returns its id (for cancel). Chunks are asked for on `pump`. */
  start(partition: number, listener: ScanListener): number {
    const id = this.nextId++;
    this.scans.set(id, { partition, listener, after: null, inFlight: false });
    this.pump();
    return id;
  }

  cancel(id: number): void {
    this.scans.delete(id);
  }

  /** Asks for the next chunk of every scan that waits for one, while the budget lasts. */
  pump(): void {
    for (const [id, scan] of this.scans) {
      if (scan.inFlight) continue;
      const entriesMax = Math.min(this.budget.keysAvailable(), this.settings.scanChunkEntriesMax);
      if (entriesMax < 1) return;
      this.budget.charge(entriesMax, 0);
      scan.inFlight = true;
      this.host.scan(scan.partition, scan.after, entriesMax, this.settings.scanChunkBytesMax, (chunk) => this.onChunk(id, entriesMax, chunk.entries, chunk.exhausted));
    }
  }

  private onChunk(id: number, reserved: number, entries: readonly ScannedEntry[], exhausted: boolean): void {
    let bytes = 0;
    for (const entry of entries) bytes += valueBytes(entry.object);
    this.budget.charge(entries.length - reserved, bytes);
    const scan = this.scans.get(id);
    if (scan === undefined) return; // cancelled while the chunk was read
    scan.listener.onEntries(entries);
    const last = entries.at(-1);
    if (exhausted || last === undefined) {
      this.scans.delete(id);
      scan.listener.onDone();
      return;
    }
    scan.after = { bucket: last.bucket, key: last.key };
    scan.inFlight = false;
    this.pump();
  }
}
