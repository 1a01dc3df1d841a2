/** Versioning: dotted version vectors (DVV sets), causal contexts, context tokens, disk codec. */
export type * from './types.ts';
export { actorBytesMax, actorProblem, compareActors, compareDots, dotsEqual, formatDot } from './actor.ts';
export {
  addDot,
  assertCausalContext,
  causalContextProblem,
  clockCounter,
  contextCovers,
  contextsEqual,
  counterOf,
  covers,
  emptyContext,
  joinContexts,
} from './causal-context.ts';
export { pruneContext, tokenClockEntriesMax, type PruneResult } from './prune.ts';
export {
  assertStoredObject,
  isDeleted,
  liveSiblings,
  objectsEqual,
  siblingsEqual,
  storedObjectProblem,
  supersedes,
} from './stored-object.ts';
export { coordinateWrite, mergeMaybe, mergeObjects, type CoordinatedWrite } from './object.ts';
export { contextTokenFormatVersion, decodeContextToken, encodeContextToken } from './context-token.ts';
export { decodeObject, encodeObject, objectFormatVersion } from './codec.ts';
