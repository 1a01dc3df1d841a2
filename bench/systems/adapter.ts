/**
 * What the harness needs from a store, and nothing more, so every store is driven by the same
 * loop: YCSB's four operations on one key, and close. Reads must find the record (a missing
 * loaded record counts as an error: a store that loses data must not look fast).
 */
import type { GcPauses } from '../gc.ts';

export interface KvAdapter {
  read(key: string): Promise<void>;
  update(key: string, value: Uint8Array): Promise<void>;
  insert(key: string, value: Uint8Array): Promise<void>;
  /** YCSB's read-modify-write: read the record, then write it back (one operation, one latency). */
  readModifyWrite(key: string, value: Uint8Array): Promise<void>;
  /** Counters worth reporting beside the run (e.g. kvorum's sibling resolutions), if any. */
  counters?(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * What every adapter shares: YCSB's insert is an update of a new record, and its
 * read-modify-write is a read then an update, timed as one operation.
 */
export abstract class YcsbAdapter implements KvAdapter {
  abstract read(key: string): Promise<void>;
  abstract update(key: string, value: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  insert(key: string, value: Uint8Array): Promise<void> {
    return this.update(key, value);
  }

  async readModifyWrite(key: string, value: Uint8Array): Promise<void> {
    await this.read(key);
    await this.update(key, value);
  }
}

/** One way of driving a running system (a client library, an HTTP API, a bucket). */
export interface Driver {
  /** Short name, unique within its system: `ioredis`, `etcd3`, `gateway`, `client`, `http`. */
  readonly name: string;
  /** What it measures, for the report. */
  readonly description: string;
  /**
   * Records live in a dataset; drivers that share one share the load phase (the etcd3 client
   * and the gateway read the same keys; kvorum buckets are separate datasets).
   */
  readonly dataset: string;
  /** Connects a client sized for `concurrency` requests in flight. */
  connect(concurrency: number): Promise<KvAdapter>;
}

/** A store the harness started; it owns the processes and stops only those. */
export interface RunningSystem {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly drivers: readonly Driver[];
  /** Server processes, for CPU accounting: pid → label. */
  readonly serverProcesses: ReadonlyMap<number, string>;
  /** Their GC pauses so far, summed, for systems whose processes report them (kvorum's /metrics). */
  gcPauses?(): Promise<GcPauses>;
  stop(): Promise<void>;
}

export interface LaunchContext {
  /** A fresh directory for this system's data and logs, removed after the run. */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

export interface SystemLauncher {
  readonly name: string;
  start(context: LaunchContext): Promise<RunningSystem>;
}

export class RecordNotFoundError extends Error {
  override name = 'RecordNotFoundError';
  constructor(key: string) {
    super(`record ${key} not found`);
  }
}

/** Zero-copy view of a value as a Buffer, for clients that want one. */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
