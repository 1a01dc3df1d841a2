/**
 * Checking a view that came from a peer or from disk before a node adopts it: a malformed view
 * would become this node's ring. Shapes and invariants only (owners are members, transfers name
 * members, every member entry is well formed: member-fields.ts); whether it is newer is the
 * merge's business.
 */
import { describeValue } from '../version/describe-value.ts';
import { isValidPartitionCount } from '../ring/hash.ts';
import { isHostPort } from '../host-port.ts';
import { limits } from '../limits.ts';
import { capacityProblem, httpUrlProblem, nodeAddressProblem, nodeNameProblem, zoneProblem } from './member-fields.ts';
import { memberStatuses } from './view.ts';
import { bucketEntriesProblem } from './bucket-props.ts';

/**
 * Views are numbered by the changes made to the cluster, one at a time by an operator or a
 * transition step: no real cluster gets near this, and a version beyond it is a bug or a forgery
 * that would win every merge for good.
 */
export const viewVersionMax = 2 ** 40;
/** Transfer ids and round view ids name a view in a few dozen characters. */
const transferIdBytesMax = 128;

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function memberProblem(value: unknown): string | null {
  if (!isRecord(value)) return `member must be an object, got ${describeValue(value)}`;
  const nameProblem = nodeNameProblem(value.name);
  if (nameProblem !== null) return `member: ${nameProblem}`;
  const problem = nodeAddressProblem(value.address) ?? httpUrlProblem(value.httpUrl) ?? capacityProblem(value.capacity) ?? zoneProblem(value.zone);
  if (problem !== null) return `member ${value.name as string}: ${problem}`;
  // Optional: members recorded by nodes that predate the binary client protocol have none.
  // Clients dial it, so its shape is checked, not just its type.
  if (value.clientAddress !== undefined && !isHostPort(value.clientAddress)) {
    return `member ${value.name as string}: clientAddress must be "host:port", got ${describeValue(value.clientAddress)}`;
  }
  if (!memberStatuses.includes(value.status as never)) return `member ${value.name as string}: status ${describeValue(value.status)} unknown`;
  return null;
}

function ownersProblem(value: unknown, partitionCount: number, active: ReadonlySet<string>, what: string): string | null {
  if (!Array.isArray(value) || value.length !== partitionCount) return `${what} must list ${partitionCount} owners`;
  const stray = value.find((owner) => !active.has(owner as string));
  return stray === undefined ? null : `${what}: ${describeValue(stray)} is not an active member`;
}

/** A transition moves each partition at most once per replica: far fewer transfers than this. */
function transfersCountMax(partitionCount: number): number {
  return partitionCount * limits.nValMax;
}

function transfersProblem(value: unknown, partitionCount: number, names: ReadonlySet<string>): string | null {
  if (!Array.isArray(value) || value.length > transfersCountMax(partitionCount)) return `transfers must be an array of at most ${transfersCountMax(partitionCount)}`;
  for (const transfer of value as unknown[]) {
    if (!isRecord(transfer) || !Number.isInteger(transfer.partition) || (transfer.partition as number) < 0 || (transfer.partition as number) >= partitionCount) return `bad transfer ${describeValue(transfer)}`;
    if (!names.has(transfer.from as string) || !names.has(transfer.to as string)) return `transfer names a node that is not a member: ${describeValue(transfer)}`;
  }
  return null;
}

/** Null when `value` is a well-formed ClusterView; else what is wrong. */
export function viewProblem(value: unknown): string | null {
  if (!isRecord(value)) return `view must be an object, got ${describeValue(value)}`;
  const { version, changedBy, partitionCount, members, next, completed } = value;
  if (!Number.isSafeInteger(version) || (version as number) < 0 || (version as number) > viewVersionMax) return `view version must be an integer from 0 to 2^40, got ${describeValue(version)}`;
  if (changedBy !== '' && nodeNameProblem(changedBy) !== null) return `view changedBy must be a node name or empty, got ${describeValue(changedBy)}`;
  if (!Number.isInteger(partitionCount) || !isValidPartitionCount(partitionCount as number)) return `view partition count ${describeValue(partitionCount)} invalid`;
  if (!Array.isArray(members) || members.length === 0 || members.length > limits.nodesCountMax) return 'view must list 1 to nodesCountMax members';
  for (const member of members as unknown[]) {
    const problem = memberProblem(member);
    if (problem !== null) return problem;
  }
  const names = new Set((members as Fields[]).map((member) => member.name as string));
  if (names.size !== members.length) return 'view lists a member twice';
  const active = new Set((members as Fields[]).filter((member) => member.status !== 'removed').map((member) => member.name as string));
  const q = partitionCount as number;
  const problem = ownersProblem(value.owners, q, active, 'owners') ?? (next === null ? null : ownersProblem(next, q, active, 'next')) ?? transfersProblem(value.transfers, q, names);
  if (problem !== null) return problem;
  if (!Array.isArray(completed) || completed.length > transfersCountMax(q) || completed.some((id) => typeof id !== 'string' || id.length > transferIdBytesMax)) {
    return 'completed must be an array of transfer ids';
  }
  if (value.aborted !== undefined && value.aborted !== true) return `aborted must be true or absent, got ${describeValue(value.aborted)}`;
  if (value.aborted === true && (next !== null || (value.transfers as unknown[]).length > 0 || completed.length > 0)) return 'an aborted view has no transition, transfers or completions';
  if (value.buckets !== undefined) return bucketEntriesProblem(value.buckets);
  return null;
}
