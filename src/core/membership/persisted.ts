/**
 * The membership record a node keeps on its own disk (meta key `ring`): its view and the changes
 * staged on it. Dynamo §4.8.1 persists membership changes so a restarted node rejoins with what it
 * knew; JSON, because it is small, rare, and an operator may want to read it.
 */
import { KvorumError } from '../errors.ts';
import type { StagedChange } from './staged.ts';
import type { ClusterView } from './view.ts';
import { viewProblem } from './view-check.ts';

export const membershipMetaName = 'ring';

export interface PersistedMembership {
  readonly view: ClusterView;
  readonly staged: readonly StagedChange[];
}

export function encodeMembership(record: PersistedMembership): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/** Throws KvorumError 'bad_config' when the record is not one this code wrote. */
export function decodeMembership(bytes: Uint8Array): PersistedMembership {
  let record: unknown;
  try {
    record = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new KvorumError('bad_config', `the stored ring view is not JSON: ${(error as Error).message}`);
  }
  const { view, staged } = (record ?? {}) as Partial<PersistedMembership>;
  const problem = viewProblem(view);
  if (problem !== null) throw new KvorumError('bad_config', `the stored ring view is malformed: ${problem}`);
  return { view: view as ClusterView, staged: Array.isArray(staged) ? staged : [] };
}
