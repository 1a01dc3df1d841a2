/**
 * Shapes of the anti-entropy messages (peer-message-check.ts calls this for kinds aae*). Every
 * key named must hash to the partition named: it is filed, compared and merged under it.
 */
import { partitionOf } from '../ring/hash.ts';
import { bucketKeyProblem, type PeerCheckLimits } from '../validate.ts';
import { describeValue } from '../version/describe-value.ts';
import { peerObjectProblem } from '../version/stored-object.ts';
import { epochMax } from '../tombstones/epochs.ts';
import { branchesCount, isDigest, segmentsCount } from './hash-tree.ts';
import { aaeListedKeysMax, aaeRepairObjectsMax } from './protocol-limits.ts';

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSegment(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < segmentsCount;
}

function keyProblem(value: unknown, partition: number, checkLimits: PeerCheckLimits): string | null {
  if (!isRecord(value)) return `key must be {bucket, key}, got ${describeValue(value)}`;
  const named = bucketKeyProblem(value.bucket, value.key, checkLimits.keyBytesMax);
  if (named !== null) return named;
  const [bucket, key] = [value.bucket as string, value.key as string];
  return partitionOf(bucket, key, checkLimits.partitionCount) === partition ? null : `${bucket}/${key} is not in partition ${partition}`;
}

function listProblem(value: unknown, max: number, itemProblem: (item: unknown) => string | null): string | null {
  if (!Array.isArray(value) || value.length > max) return `expected an array of at most ${max}, got ${describeValue(value)}`;
  for (const item of value as unknown[]) {
    const problem = itemProblem(item);
    if (problem !== null) return problem;
  }
  return null;
}

/** Null when an aae* message is well formed within `checkLimits`. */
export function aaeMessageProblem(message: Fields, checkLimits: PeerCheckLimits): string | null {
  const { partition } = message;
  if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= checkLimits.partitionCount) return `partition ${describeValue(partition)} out of range`;
  const p = partition as number;
  const key = (item: unknown): string | null => keyProblem(item, p, checkLimits);
  switch (message.kind) {
    case 'aaeExchange':
      return Array.isArray(message.branches) && message.branches.length === branchesCount && message.branches.every(isDigest) ? null : `branches must be ${branchesCount} digests`;
    case 'aaeExchangeReply':
      if (message.status !== 'same' && message.status !== 'differ' && message.status !== 'notReady') return `status ${describeValue(message.status)} unknown`;
      return listProblem(message.segments, segmentsCount, (item) => (isRecord(item) && isSegment(item.segment) && isDigest(item.hash) ? null : `segment hash malformed: ${describeValue(item)}`));
    case 'aaeKeys':
      return (
        listProblem(message.segments, segmentsCount, (item) => (isSegment(item) ? null : `segment ${describeValue(item)} out of range`)) ??
        listProblem(message.keys, aaeListedKeysMax, (item) => key(item) ?? (isDigest((item as Fields).digest) ? null : 'digest must be 16 hex digits'))
      );
    case 'aaeKeysReply':
      if (message.status !== 'ok' && message.status !== 'busy') return `status ${describeValue(message.status)} unknown`;
      return listProblem(message.wanted, aaeListedKeysMax, key);
    case 'aaeRepair':
      if (!Number.isSafeInteger(message.stamp) || (message.stamp as number) < 0 || (message.stamp as number) > epochMax) return 'stamp must be an integer from 0 to 2^40';
      return listProblem(message.objects, aaeRepairObjectsMax, (item) => key(item) ?? peerObjectProblem((item as Fields).object));
    default:
      return `kind ${describeValue(message.kind)} is not an anti-entropy message`;
  }
}
