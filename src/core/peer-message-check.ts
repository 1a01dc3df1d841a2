/**
 * Checking a message from a peer before the node acts on it. Peers are authenticated in the
 * transport handshake, but a peer running a buggy or newer build, or a corrupted frame that still
 * decodes, must not be able to store a malformed object or crash this node: the runtime drops a
 * message with a problem, logs it and counts it. The core itself trusts its input (it asserts).
 *
 * A replica write must also name the partition its key hashes to: the partition is part of the
 * storage key, so a wrong one would file the key where reads and anti-entropy never look.
 */
import { aaeMessageProblem } from './antientropy/message-check.ts';
import { errorCodes } from './errors.ts';
import { viewProblem } from './membership/view-check.ts';
import { transferEntriesMax } from './membership/transfer-limits.ts';
import { peerMessageCodes } from './messages.ts';
import { partitionOf } from './ring/hash.ts';
import { causalContextProblem } from './version/causal-context.ts';
import { describeValue } from './version/describe-value.ts';
import { storedObjectProblem } from './version/stored-object.ts';
import { epochsProblem } from './tombstones/epochs.ts';
import { actorProblem } from './version/actor.ts';

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOpId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function optionalCount(name: string, value: unknown): string | null {
  return value === undefined || Number.isSafeInteger(value) ? null : `${name} must be an integer, got ${describeValue(value)}`;
}

function optionalBooleanProblem(name: string, value: unknown): string | null {
  return value == null || typeof value === 'boolean' ? null : `${name} must be a boolean, got ${describeValue(value)}`;
}

function optionalNameProblem(name: string, value: unknown): string | null {
  return value == null || (typeof value === 'string' && value.length > 0) ? null : `${name} must be a node name, got ${describeValue(value)}`;
}

function errorProblem(value: unknown): string | null {
  if (!isRecord(value) || value.kind !== 'error') return `error must be {kind: "error", …}, got ${describeValue(value)}`;
  if (typeof value.code !== 'string' || !Object.hasOwn(errorCodes, value.code)) return `unknown error code ${describeValue(value.code)}`;
  return typeof value.message === 'string' ? null : 'error message must be a string';
}

/** A partition epoch (tombstones/epochs.ts): a stamp may be 0, a round's epoch is at least 1. */
function epochProblem(name: string, value: unknown, least = 0): string | null {
  return Number.isSafeInteger(value) && (value as number) >= least ? null : `${name} must be an integer of at least ${least}, got ${describeValue(value)}`;
}

const candidateHoldings: readonly unknown[] = ['tombstone', 'absent', 'other'];

/** tombstones/round-view.ts names a view in a few dozen characters. */
const roundViewBytesMax = 64;

function isRoundView(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= roundViewBytesMax;
}

function objectOrNullProblem(value: unknown): string | null {
  return value === null ? null : storedObjectProblem(value);
}

function targetProblem(message: Fields, partitionCount: number): string | null {
  const { partition, bucket, key } = message;
  if (typeof bucket !== 'string' || typeof key !== 'string') return 'bucket and key must be strings';
  if (!Number.isInteger(partition) || partitionOf(bucket, key, partitionCount) !== partition) {
    return `partition ${describeValue(partition)} is not the partition of ${bucket}/${key} in a ring of ${partitionCount}`;
  }
  return null;
}

/** Shapes only: the coordinator validates bucket, key, value and quorums as for any request. */
function requestProblem(value: unknown): string | null {
  if (!isRecord(value)) return `request must be an object, got ${describeValue(value)}`;
  if (typeof value.bucket !== 'string' || typeof value.key !== 'string') return 'request bucket and key must be strings';
  const timeout = optionalCount('timeoutMs', value.timeoutMs);
  if (timeout !== null) return timeout;
  if (value.kind === 'get') return optionalCount('r', value.r);
  if (value.kind !== 'put') return `request kind must be get or put, got ${describeValue(value.kind)}`;
  if (!(value.value instanceof Uint8Array)) return 'put value must be bytes';
  if (typeof value.contentType !== 'string' || typeof value.deleted !== 'boolean') return 'put contentType must be a string and deleted a boolean';
  if (value.context !== null) {
    const problem = causalContextProblem(value.context);
    if (problem !== null) return problem;
  }
  return optionalCount('w', value.w);
}

function resultProblem(value: unknown): string | null {
  if (!isRecord(value)) return `result must be an object, got ${describeValue(value)}`;
  switch (value.kind) {
    case 'got':
      return objectOrNullProblem(value.object);
    case 'stored':
      return causalContextProblem(value.context);
    case 'error':
      return errorProblem(value);
    default:
      return `result kind ${describeValue(value.kind)} unknown`;
  }
}

/** Null when `value` is a well-formed PeerMessage for a ring of `partitionCount`; else what is wrong. */
export function peerMessageProblem(value: unknown, partitionCount: number): string | null {
  if (!isRecord(value) || typeof value.kind !== 'string' || !Object.hasOwn(peerMessageCodes, value.kind)) {
    return `not a peer message: ${describeValue(isRecord(value) ? value.kind : value)}`;
  }
  if (!isOpId(value.opId)) return `${value.kind}: op id must be a positive integer, got ${describeValue(value.opId)}`;
  const problem = kindProblem(value, partitionCount);
  return problem === null ? null : `${value.kind}: ${problem}`;
}

function kindProblem(message: Fields, partitionCount: number): string | null {
  switch (message.kind) {
    case 'replicaRead':
      return targetProblem(message, partitionCount) ?? optionalBooleanProblem('withHints', message.withHints);
    case 'replicaWrite':
      return targetProblem(message, partitionCount) ?? epochProblem('stamp', message.stamp) ?? storedObjectProblem(message.object) ?? optionalNameProblem('hintFor', message.hintFor) ?? optionalBooleanProblem('durable', message.durable);
    case 'replicaReadReply':
      return epochProblem('stamp', message.stamp) ?? (message.error != null ? errorProblem(message.error) : objectOrNullProblem(message.object));
    case 'replicaWriteReply':
      return message.error == null ? null : errorProblem(message.error);
    case 'forward':
      return requestProblem(message.request);
    case 'forwardReply':
      return resultProblem(message.result);
    case 'gossip':
      return typeof message.senderAddress === 'string' ? (optionalBooleanProblem('replyWanted', message.replyWanted) ?? viewProblem(message.view)) : 'senderAddress must be a string';
    case 'transferChunk':
      return transferChunkProblem(message, partitionCount);
    case 'transferAck':
      return message.error == null ? null : errorProblem(message.error);
    case 'aaeExchange':
    case 'aaeExchangeReply':
    case 'aaeKeys':
    case 'aaeKeysReply':
    case 'aaeRepair':
      return aaeMessageProblem(message, partitionCount);
    case 'ping':
    case 'pong':
      return null;
    case 'hintDeliver':
      return targetProblem(message, partitionCount) ?? epochProblem('stamp', message.stamp) ?? storedObjectProblem(message.object);
    case 'hintDeliverReply':
      return message.error == null ? null : errorProblem(message.error);
    case 'epochsQuery':
      return null;
    case 'epochsReply':
      if (typeof message.known !== 'boolean' || typeof message.complete !== 'boolean' || typeof message.toMember !== 'boolean') return 'known, complete and toMember must be booleans';
      return epochsProblem(message.epochs);
    case 'tombFence':
      if (!isRoundView(message.view)) return 'view must be a round view id';
      return epochProblem('epoch', message.epoch, 1) ?? epochProblem('confirmed', message.confirmed) ?? entriesProblem(message.candidates, message.partition, partitionCount);
    case 'tombFenceReply':
      return tombFenceReplyProblem(message);
    case 'tombConfirm':
      return isRoundView(message.view) ? (epochProblem('epoch', message.epoch, 1) ?? partitionProblem(message.partition, partitionCount)) : 'view must be a round view id';
    case 'tombConfirmReply':
      if (actorProblem(message.incarnation) !== null) return `incarnation: ${actorProblem(message.incarnation)}`;
      return typeof message.confirmed === 'boolean' ? null : `confirmed must be a boolean, got ${describeValue(message.confirmed)}`;
    case 'tombRemove':
      return epochProblem('epoch', message.epoch, 1) ?? entriesProblem(message.entries, message.partition, partitionCount);
    default:
      return `kind ${describeValue(message.kind)} unknown`;
  }
}

function transferChunkProblem(message: Fields, partitionCount: number): string | null {
  if (!Number.isSafeInteger(message.version) || typeof message.last !== 'boolean') return 'version must be an integer and last a boolean';
  if (message.senderAddress !== undefined && typeof message.senderAddress !== 'string') return 'senderAddress must be a string';
  return epochProblem('stamp', message.stamp) ?? entriesProblem(message.entries, message.partition, partitionCount);
}

/** Keys of one partition with their objects, at most a transfer chunk's worth. */
function entriesProblem(entries: unknown, partition: unknown, partitionCount: number): string | null {
  if (!Array.isArray(entries) || entries.length > transferEntriesMax) return `entries must be an array of at most ${transferEntriesMax}`;
  for (const entry of entries as unknown[]) {
    if (!isRecord(entry)) return `entry must be an object, got ${describeValue(entry)}`;
    const problem = targetProblem({ partition, bucket: entry.bucket, key: entry.key }, partitionCount) ?? storedObjectProblem(entry.object);
    if (problem !== null) return problem;
  }
  return partitionProblem(partition, partitionCount);
}

function partitionProblem(partition: unknown, partitionCount: number): string | null {
  return Number.isInteger(partition) && (partition as number) >= 0 && (partition as number) < partitionCount ? null : `partition ${describeValue(partition)} out of range`;
}

function tombFenceReplyProblem(message: Fields): string | null {
  if (actorProblem(message.incarnation) !== null) return `incarnation: ${actorProblem(message.incarnation)}`;
  if (message.refused !== undefined && typeof message.refused !== 'string') return 'refused must be a string';
  if (message.unfit !== undefined && message.unfit !== true) return 'unfit must be true when present';
  const { holdings } = message;
  if (!Array.isArray(holdings) || holdings.length > transferEntriesMax) return `holdings must be an array of at most ${transferEntriesMax}`;
  if (!holdings.every((holding) => candidateHoldings.includes(holding))) return 'a holding must be tombstone, absent or other';
  return epochProblem('epoch', message.epoch);
}
