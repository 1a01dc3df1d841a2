/**
 * YCSB's closed loop: C workers, each issuing its next request as soon as its previous one
 * answered, until a deadline. Throughput is what the store sustains at C requests in flight;
 * latency is per request. (A closed loop under-reports tail latency when the store stalls —
 * coordinated omission — because a stalled store also stops new requests from being issued;
 * every store here is measured the same way, so the comparison holds.)
 */
import { unreachable } from '../src/core/assert.ts';
import { LatencyRecorder } from './latency.ts';
import type { Request } from './request-source.ts';
import type { KvAdapter } from './systems/adapter.ts';
import type { OperationKind } from './ycsb/workloads.ts';
import { operationKinds } from './ycsb/workloads.ts';

const errorSamplesMax = 5;
const tickIntervalMs = 250;

export interface LoopStats {
  readonly recorders: Readonly<Record<OperationKind, LatencyRecorder>>;
  readonly errors: Record<OperationKind, number>;
  readonly errorSamples: Set<string>;
  ops: number;
  errorCount: number;
  elapsedMs: number;
}

export function newLoopStats(): LoopStats {
  const recorders = Object.fromEntries(operationKinds.map((kind) => [kind, new LatencyRecorder()])) as Record<OperationKind, LatencyRecorder>;
  const errors = Object.fromEntries(operationKinds.map((kind) => [kind, 0])) as Record<OperationKind, number>;
  return { recorders, errors, errorSamples: new Set(), ops: 0, errorCount: 0, elapsedMs: 0 };
}

export function destroyLoopStats(stats: LoopStats): void {
  for (const kind of operationKinds) stats.recorders[kind].destroy();
}

export function execute(adapter: KvAdapter, request: Request): Promise<void> {
  switch (request.kind) {
    case 'read':
      return adapter.read(request.key);
    case 'update':
      return adapter.update(request.key, request.value);
    case 'readModifyWrite':
      return adapter.readModifyWrite(request.key, request.value);
    default:
      return unreachable(request.kind, 'operation kind');
  }
}

function noteError(stats: LoopStats, kind: OperationKind, error: unknown): void {
  stats.errors[kind]++;
  stats.errorCount++;
  if (stats.errorSamples.size < errorSamplesMax) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    stats.errorSamples.add(message.slice(0, 300));
  }
}

export interface LoopOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  /** Called every quarter second with the fraction done and the stats so far. */
  readonly onTick?: (fractionDone: number, stats: LoopStats) => void;
}

export async function closedLoop(adapter: KvAdapter, nextRequest: () => Request, options: LoopOptions): Promise<LoopStats> {
  const stats = newLoopStats();
  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const request = nextRequest();
      const issuedAt = performance.now();
      try {
        await execute(adapter, request);
        stats.recorders[request.kind].recordMs(performance.now() - issuedAt);
        stats.ops++;
      } catch (error) {
        noteError(stats, request.kind, error);
      }
    }
  };
  const ticker = setInterval(() => {
    stats.elapsedMs = performance.now() - startedAt;
    options.onTick?.(Math.min(1, stats.elapsedMs / options.durationMs), stats);
  }, tickIntervalMs);
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearInterval(ticker);
  }
  stats.elapsedMs = performance.now() - startedAt;
  return stats;
}

/** The load phase: insert records 0..count-1 in order, `concurrency` at a time. */
export async function loadRecords(
  adapter: KvAdapter,
  count: number,
  request: (recordNumber: number) => Request,
  concurrency: number,
  onTick?: (fractionDone: number, stats: LoopStats) => void,
): Promise<LoopStats> {
  const stats = newLoopStats();
  const startedAt = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const { key, value } = request(next++);
      const issuedAt = performance.now();
      try {
        await adapter.insert(key, value);
        stats.recorders.update.recordMs(performance.now() - issuedAt);
        stats.ops++;
      } catch (error) {
        noteError(stats, 'update', error);
      }
    }
  };
  const ticker = setInterval(() => onTick?.(next / count, stats), tickIntervalMs);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    clearInterval(ticker);
  }
  stats.elapsedMs = performance.now() - startedAt;
  return stats;
}
