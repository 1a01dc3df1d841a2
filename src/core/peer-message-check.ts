/**
 * Checking a message from a peer before the node acts on it. Peers are authenticated in the
 * transport handshake, but a peer running a buggy or newer build, or a corrupted frame that still
 * decodes, must not be able to store a malformed object or crash this node: the runtime drops a
 * message with a problem, logs it and counts it (`peerMessagesRefused`). The core itself trusts
 * its input (it asserts), so everything a peer names is held to the limits a client's request is
 * held to: buckets and keys as validate.ts has them (they become storage keys, whose layout
 * asserts), node names and addresses as member-fields.ts has them (a node dials them), epochs
 * below `epochMax`.
 *
 * A replica write must also name the partition its key hashes to: the partition is part of the
 * storage key, so a wrong one would file the key where reads and anti-entropy never look.
 */
import { aaeMessageProblem } from './antientropy/message-check.ts';
import { errorCodes } from './errors.ts';
import { viewProblem, viewVersionMax } from './membership/view-check.ts';
import { transferEntriesMax } from './membership/transfer-limits.ts';
import { peerMessageCodes } from './messages.ts';
import { partitionOf } from './ring/hash.ts';
import { causalContextProblem } from './version/causal-context.ts';
import { describeValue } from './version/describe-value.ts';
import { peerObjectProblem } from './version/stored-object.ts';
import { epochMax, epochsProblem } from './tombstones/epochs.ts';
import { actorProblem } from './version/actor.ts';
import { nodeAddressProblem, nodeNameProblem } from './membership/member-fields.ts';
import { limits } from './limits.ts';
import { tokenClockEntriesMax } from './version/prune.ts';
import { bucketKeyProblem, bucketProblem, keyProblem, type PeerCheckLimits } from './validate.ts';
import { listBufferBytesMax, listChunkItemsMax } from './coverage/listing-limits.ts';

export type { PeerCheckLimits } from './validate.ts';

type Fields = Record<string, unknown>;

/** An error's message travels to a client: long enough for any message a node makes (they quote keys). */
const errorMessageBytesMax = 8 * 1024;

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
  if (value == null) return null;
  const problem = nodeNameProblem(value);
  return problem === null ? null : `${name}: ${problem}`;
}

function addressProblem(name: string, value: unknown): string | null {
  const problem = nodeAddressProblem(value);
  return problem === null ? null : `${name}: ${problem}`;
}

function errorProblem(value: unknown): string | null {
  if (!isRecord(value) || value.kind !== 'error') return `error must be {kind: "error", …}, got ${describeValue(value)}`;
  if (typeof value.code !== 'string' || !Object.hasOwn(errorCodes, value.code)) return `unknown error code ${describeValue(value.code)}`;
  if (value.detail !== undefined && !isRecord(value.detail)) return `error detail must be an object, got ${describeValue(value.detail)}`;
  return typeof value.message === 'string' && value.message.length <= errorMessageBytesMax ? null : `error message must be a string of at most ${errorMessageBytesMax} characters`;
}

/** A partition epoch (tombstones/epochs.ts): a stamp may be 0, a round's epoch is at least 1. */
function epochProblem(name: string, value: unknown, least = 0): string | null {
  return Number.isSafeInteger(value) && (value as number) >= least && (value as number) <= epochMax
    ? null
    : `${name} must be an integer from ${least} to 2^40, got ${describeValue(value)}`;
}

const candidateHoldings: readonly unknown[] = ['tombstone', 'absent', 'other'];

/** tombstones/round-view.ts names a view in a few dozen characters. */
const roundViewBytesMax = 64;

function isRoundView(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= roundViewBytesMax;
}

function objectOrNullProblem(value: unknown): string | null {
  return value === null ? null : peerObjectProblem(value);
}

function targetProblem(message: Fields, checkLimits: PeerCheckLimits): string | null {
  const { partition, bucket, key } = message;
  const named = bucketKeyProblem(bucket, key, checkLimits.keyBytesMax);
  if (named !== null) return named;
  const { partitionCount } = checkLimits;
  if (!Number.isInteger(partition) || partitionOf(bucket as string, key as string, partitionCount) !== partition) {
    return `partition ${describeValue(partition)} is not the partition of ${bucket as string}/${key as string} in a ring of ${partitionCount}`;
  }
  return null;
}

/**
 * Shapes, and the context as bounded as a client's token is: the coordinator validates bucket,
 * key, value and quorums as for any request.
 */
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
    const problem = causalContextProblem(value.context) ?? forwardedContextSizeProblem(value.context as Fields);
    if (problem !== null) return problem;
  }
  return optionalCount('w', value.w);
}

/** A forwarded put's context was a client's token: no larger than one may be. */
function forwardedContextSizeProblem(context: Fields): string | null {
  const { clock, dots } = context as { clock: unknown[]; dots: unknown[] };
  if (clock.length > tokenClockEntriesMax || dots.length > limits.contextDotsMax) return `context holds more than a context token may (${clock.length} clock entries, ${dots.length} dots)`;
  return null;
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

/** Null when `value` is a well-formed PeerMessage within `checkLimits`; else what is wrong. */
export function peerMessageProblem(value: unknown, checkLimits: PeerCheckLimits): string | null {
  if (!isRecord(value) || typeof value.kind !== 'string' || !Object.hasOwn(peerMessageCodes, value.kind)) {
    return `not a peer message: ${describeValue(isRecord(value) ? value.kind : value)}`;
  }
  if (!isOpId(value.opId)) return `${value.kind}: op id must be a positive integer, got ${describeValue(value.opId)}`;
  const problem = kindProblem(value, checkLimits);
  return problem === null ? null : `${value.kind}: ${problem}`;
}

function kindProblem(message: Fields, checkLimits: PeerCheckLimits): string | null {
  const { partitionCount } = checkLimits;
  switch (message.kind) {
    case 'replicaRead':
      return targetProblem(message, checkLimits) ?? optionalBooleanProblem('withHints', message.withHints) ?? (message.epoch === undefined ? null : epochProblem('epoch', message.epoch));
    case 'replicaWrite':
      return targetProblem(message, checkLimits) ?? epochProblem('stamp', message.stamp) ?? peerObjectProblem(message.object) ?? optionalNameProblem('hintFor', message.hintFor) ?? optionalBooleanProblem('durable', message.durable);
    case 'replicaReadReply':
      return epochProblem('stamp', message.stamp) ?? (message.error != null ? errorProblem(message.error) : null) ?? objectOrNullProblem(message.object);
    case 'replicaWriteReply':
      return message.error == null ? null : errorProblem(message.error);
    case 'forward':
      return requestProblem(message.request);
    case 'forwardReply':
      return resultProblem(message.result);
    case 'gossip':
      return addressProblem('senderAddress', message.senderAddress) ?? optionalBooleanProblem('replyWanted', message.replyWanted) ?? viewProblem(message.view);
    case 'transferChunk':
      return transferChunkProblem(message, checkLimits);
    case 'transferAck':
      return message.error == null ? null : errorProblem(message.error);
    case 'aaeExchange':
    case 'aaeExchangeReply':
    case 'aaeKeys':
    case 'aaeKeysReply':
    case 'aaeRepair':
      return aaeMessageProblem(message, checkLimits);
    case 'ping':
    case 'pong':
      return null;
    case 'hintDeliver':
      return targetProblem(message, checkLimits) ?? epochProblem('stamp', message.stamp) ?? peerObjectProblem(message.object);
    case 'hintDeliverReply':
      return message.error == null ? null : errorProblem(message.error);
    case 'epochsQuery':
      return null;
    case 'epochsReply':
      if (typeof message.known !== 'boolean' || typeof message.complete !== 'boolean' || typeof message.toMember !== 'boolean') return 'known, complete and toMember must be booleans';
      return epochsProblem(message.epochs);
    case 'tombFence':
      if (!isRoundView(message.view)) return 'view must be a round view id';
      return epochProblem('epoch', message.epoch, 1) ?? epochProblem('confirmed', message.confirmed) ?? entriesProblem(message.candidates, message.partition, checkLimits);
    case 'tombFenceReply':
      return tombFenceReplyProblem(message);
    case 'tombConfirm':
      return isRoundView(message.view) ? (epochProblem('epoch', message.epoch, 1) ?? partitionProblem(message.partition, partitionCount)) : 'view must be a round view id';
    case 'tombConfirmReply':
      if (actorProblem(message.incarnation) !== null) return `incarnation: ${actorProblem(message.incarnation)}`;
      return typeof message.confirmed === 'boolean' ? null : `confirmed must be a boolean, got ${describeValue(message.confirmed)}`;
    case 'tombRemove':
      return epochProblem('epoch', message.epoch, 1) ?? entriesProblem(message.entries, message.partition, checkLimits);
    case 'listRead':
      return listReadProblem(message, checkLimits);
    case 'listReadReply':
      return listReadReplyProblem(message, checkLimits);
    default:
      return `kind ${describeValue(message.kind)} unknown`;
  }
}

/** A listing's item: a key this node could store, or a bucket name when `bucket` is null. */
function listItemProblem(name: string, value: unknown, bucketNames: boolean, keyBytesMax: number): string | null {
  const problem = bucketNames ? bucketProblem(value) : (keyProblem(value, keyBytesMax)?.problem ?? null);
  return problem === null ? null : `${name}: ${problem}`;
}

function listReadProblem(message: Fields, checkLimits: PeerCheckLimits): string | null {
  const { bucket, after, itemsMax, bytesMax, withDeleted } = message;
  if (bucket !== null && bucketProblem(bucket) !== null) return bucketProblem(bucket);
  if (after !== null) {
    const problem = listItemProblem('after', after, bucket === null, checkLimits.keyBytesMax);
    if (problem !== null) return problem;
  }
  if (!Number.isSafeInteger(itemsMax) || (itemsMax as number) < 1 || (itemsMax as number) > listChunkItemsMax) return `itemsMax must be an integer from 1 to ${listChunkItemsMax}`;
  if (!Number.isSafeInteger(bytesMax) || (bytesMax as number) < 1 || (bytesMax as number) > listBufferBytesMax) return `bytesMax must be an integer from 1 to ${listBufferBytesMax}`;
  if (typeof withDeleted !== 'boolean') return `withDeleted must be a boolean, got ${describeValue(withDeleted)}`;
  return partitionProblem(message.partition, checkLimits.partitionCount);
}

/**
 * Items are keys or bucket names (the reply does not say which: both are checked as keys, which
 * bucket names also are); the listing that asked drops any not in order after its cursor.
 */
function listReadReplyProblem(message: Fields, checkLimits: PeerCheckLimits): string | null {
  if (message.error != null) return errorProblem(message.error);
  const { items, next } = message;
  if (!Array.isArray(items) || items.length > listChunkItemsMax) return `items must be an array of at most ${listChunkItemsMax}`;
  for (const item of items as unknown[]) {
    const problem = listItemProblem('item', item, false, checkLimits.keyBytesMax);
    if (problem !== null) return problem;
  }
  return next === null ? null : listItemProblem('next', next, false, checkLimits.keyBytesMax);
}

function transferChunkProblem(message: Fields, checkLimits: PeerCheckLimits): string | null {
  if (!Number.isSafeInteger(message.version) || (message.version as number) < 0 || (message.version as number) > viewVersionMax || typeof message.last !== 'boolean') {
    return 'version must be a view version and last a boolean';
  }
  if (message.senderAddress !== undefined) {
    const problem = addressProblem('senderAddress', message.senderAddress);
    if (problem !== null) return problem;
  }
  return epochProblem('stamp', message.stamp) ?? entriesProblem(message.entries, message.partition, checkLimits);
}

/** Keys of one partition with their objects, at most a transfer chunk's worth. */
function entriesProblem(entries: unknown, partition: unknown, checkLimits: PeerCheckLimits): string | null {
  if (!Array.isArray(entries) || entries.length > transferEntriesMax) return `entries must be an array of at most ${transferEntriesMax}`;
  for (const entry of entries as unknown[]) {
    if (!isRecord(entry)) return `entry must be an object, got ${describeValue(entry)}`;
    const problem = targetProblem({ partition, bucket: entry.bucket, key: entry.key }, checkLimits) ?? peerObjectProblem(entry.object);
    if (problem !== null) return problem;
  }
  return partitionProblem(partition, checkLimits.partitionCount);
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
