/**
 * The reference model of versioning (issue 13 §1): dots, causal histories as sets of dots,
 * version vectors, versions and supersession, the live siblings a history implies, and objects
 * joined by their definitions. Written from Preguiça et al.'s dotted version vectors and the
 * dotted causal container, importing nothing from src/core/version; lint keeps it so. The
 * checkers judge versions with this model only, and model.test.ts runs it against the core's
 * functions on random histories.
 */
export { dotId, formatDot, isDot, sameDot, type ModelDot } from './dots.ts';
export { DotSet, modelCounterMax, type EncodedContext } from './dot-set.ts';
export { compareVectors, splitHistory, vectorCovers, type VectorOrder, type VersionVector } from './version-vector.ts';
export { judgeSiblings, liveSiblings, modelVersion, supersedes, type ModelVersion, type SiblingVerdict } from './versions.ts';
export { coordinate, joinAll, joinObjects, modelObject, nextDot, objectsAgree, type EncodedObject, type ModelObject, type ModelSibling } from './objects.ts';
