/**
 * Every event the core counts, by name (DESIGN §10: one typed catalogue of metrics). The core's
 * parts count through their host's `count(name, by)`; a name outside this list does not compile.
 * The runtime's metric catalogue (runtime/metrics/catalogue.ts) gives each its Prometheus name,
 * type and help, and must cover every one of them (it is typed to).
 */

/** How a tombstone collection round that removed nothing ended (tombstones/collector.ts). */
export const tombstoneRoundFailures = ['refused', 'unconfirmed', 'undelivered', 'timeout'] as const;
export type TombstoneRoundFailure = (typeof tombstoneRoundFailures)[number];

export const coreCounterNames = [
  // Coordination (coordinator/).
  'forwarded',
  'readRepairs',
  'clockEntriesPruned',
  'contextsClamped',
  'silentTargetFallbacks',
  'lateReadAsks',
  'fencedWriteRetries',
  'fencedReadRetries',
  // Replicas: siblings merges dropped, made and resolved on this node's copies (node.ts).
  'siblingsTruncated',
  'siblingsCreated',
  'siblingsResolved',
  'deliveryFailures',
  'flushFailures',
  // Hinted handoff (handoff/, Dynamo §4.6).
  'hints.stored',
  'hints.sent',
  'hints.delivered',
  'hints.received',
  'hints.abandoned',
  // Anti-entropy (antientropy/, Dynamo §4.7).
  'aae.exchanges',
  'aae.exchangesInSync',
  'aae.exchangesTimedOut',
  'aae.segmentsCompared',
  'aae.segmentsDiffering',
  'aae.keysRepaired',
  'aae.keysReceived',
  'aae.treesBuilt',
  'aae.backoffs',
  // Membership and transfers (membership/, Dynamo §4.8–4.9).
  'gossip.sent',
  'gossip.received',
  'gossip.refusedPartitionCount',
  'membership.viewsAdopted',
  'transfers.started',
  'transfers.completed',
  'transfers.retries',
  'transfers.keysSent',
  'transfers.keysReceived',
  'transfers.writesForwarded',
  'strays.passes',
  'strays.keysAbandoned',
  'strays.keysHandedOff',
  'strays.keysDropped',
  'strays.partitionsSkipped',
  // Tombstone collection (tombstones/).
  'tombstones.rounds',
  ...tombstoneRoundFailures.map((outcome) => `tombstones.rounds.${outcome}` as const),
  'tombstones.collected',
  'tombstones.fencesRaised',
  'tombstones.staleRefused',
  'tombstones.removedCopiesDropped',
  'tombstones.epochsCaughtUp',
  'tombstones.epochsLearned',
  'tombstones.rejoinBlocked',
  'tombstones.partitionsAbandoned',
] as const;

export type CoreCounter = (typeof coreCounterNames)[number];

/** What every host's `count` is: counts `by` (default 1) occurrences of a catalogued event. */
export type CountFn = (metric: CoreCounter, by?: number) => void;
