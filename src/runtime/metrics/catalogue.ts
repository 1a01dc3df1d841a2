/**
 * Every metric a node exports on GET /metrics, in one place (DESIGN §10): its Prometheus name,
 * type, help and labels, and where its value comes from — the node's status (plain data,
 * KvNode.status and NodeRuntime.status) for counters and gauges, the runtime's instruments for
 * latency histograms. Names follow Prometheus' conventions: `kvorum_` then snake_case, counters
 * end in `_total`, durations are `_seconds` histograms, and operations, error codes, peers and
 * reasons are labels, never parts of a name. Every series also carries `node` (registry.ts).
 * Process and event-loop metrics (`process_*`, `nodejs_*`) are prom-client's defaults.
 * docs/operations.md lists them all; the promtool test (test/metrics.test.ts) holds /metrics to it.
 */
import type { CoreCounter } from '../../core/counters.ts';
import type { MemberReport } from '../../core/status.ts';
import type { ServerStatus } from '../status.ts';
import type { Histogram } from './histogram.ts';
import { clientOps, peerRequestKinds, storeOpKinds, type Instruments } from './instruments.ts';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

interface MetricBase {
  readonly name: string;
  readonly help: string;
  /** The label names of its series (besides `node`). */
  readonly labels: readonly string[];
}

/** A counter or gauge, read from the node's status when scraped. */
export interface ScalarMetric extends MetricBase {
  readonly type: 'counter' | 'gauge';
  readonly samples: (status: ServerStatus) => readonly Sample[];
}

/** A latency histogram the runtime records into (instruments.ts). */
export interface HistogramMetric extends MetricBase {
  readonly type: 'histogram';
  readonly series: (instruments: Instruments) => readonly { readonly labels: Labels; readonly histogram: Histogram }[];
}

export type MetricSpec = ScalarMetric | HistogramMetric;

/** The Prometheus counter each core counter (core/counters.ts) is exported as; typed to cover them all. */
const coreCounters: Record<CoreCounter, { readonly name: string; readonly help: string; readonly labels?: Labels }> = {
  forwarded: { name: 'kvorum_forwarded_requests_total', help: "Puts this node sent on to a node of the key's preference list." },
  readRepairs: { name: 'kvorum_read_repairs_total', help: 'Stale replicas sent the reconciled version after a get (read repair).' },
  clockEntriesPruned: { name: 'kvorum_clock_entries_pruned_total', help: 'Causal-context entries dropped to keep contexts bounded; each can create a false sibling later.' },
  contextsClamped: { name: 'kvorum_contexts_clamped_total', help: "Puts whose context claimed more of the coordinator's counter than its copy records, cut back." },
  fencedReadRetries: { name: 'kvorum_fenced_read_retries_total', help: 'Replica reads refused as read before a tombstone round fenced the partition, asked again once the replica was told the epoch (coordinator/get.ts).' },
  fencedWriteRetries: { name: 'kvorum_fenced_write_retries_total', help: 'Replica writes refused as read before a tombstone round fenced the partition, sent again read after it (coordinator/put.ts).' },
  silentTargetFallbacks: { name: 'kvorum_silent_target_fallbacks_total', help: 'Replicas silent past silentTargetWaitMs that were given a stand-in from the extended preference list.' },
  lateReadAsks: { name: 'kvorum_late_read_asks_total', help: 'Gets whose replicas were later than replies usually are (mean plus four deviations), which asked one more replica of the N.' },
  siblingsTruncated: { name: 'kvorum_siblings_truncated_total', help: 'Siblings a merge dropped to keep an object within its bounds: concurrent writes lost.' },
  siblingsCreated: { name: 'kvorum_siblings_created_total', help: "Siblings that appeared on this node's copies when concurrent writes met (each replica counts its own copy)." },
  siblingsResolved: { name: 'kvorum_siblings_resolved_total', help: "Siblings that went from this node's copies when a write's context covered them (each replica counts its own copy)." },
  deliveryFailures: { name: 'kvorum_peer_delivery_failures_total', help: 'Messages the transport could not deliver to a peer (each marks the peer unreachable until heard from).' },
  flushFailures: { name: 'kvorum_buffer_flush_failures_total', help: 'Commits of the object buffer the disk refused; the writes stay buffered and are committed again.' },
  'hints.stored': { name: 'kvorum_hints_stored_total', help: 'Versions this node kept as hints for an unreachable owner.' },
  'hints.sent': { name: 'kvorum_hints_sent_total', help: 'Versions this node, as coordinator, sent to a fallback as a hint.' },
  'hints.delivered': { name: 'kvorum_hints_delivered_total', help: 'Hints this node handed back and their owner acknowledged.' },
  'hints.received': { name: 'kvorum_hints_received_total', help: 'Hints handed back to this node by the fallbacks that kept them.' },
  'hints.abandoned': { name: 'kvorum_hints_abandoned_total', help: 'Hints of partitions this node gave up (removed while down), dropped instead of delivered.' },
  'aae.exchanges': { name: 'kvorum_aae_exchanges_total', help: 'Anti-entropy exchanges this node started.' },
  'aae.exchangesInSync': { name: 'kvorum_aae_exchanges_in_sync_total', help: 'Anti-entropy exchanges whose hash tree roots were equal.' },
  'aae.exchangesTimedOut': { name: 'kvorum_aae_exchanges_timed_out_total', help: 'Anti-entropy exchanges that timed out.' },
  'aae.segmentsCompared': { name: 'kvorum_aae_segments_compared_total', help: 'Hash tree segments compared in anti-entropy exchanges.' },
  'aae.segmentsDiffering': { name: 'kvorum_aae_segments_differing_total', help: 'Hash tree segments found differing in anti-entropy exchanges.' },
  'aae.keysRepaired': { name: 'kvorum_aae_keys_repaired_total', help: 'Versions anti-entropy sent to a replica that lacked them.' },
  'aae.keysReceived': { name: 'kvorum_aae_keys_received_total', help: 'Versions anti-entropy merged into this node.' },
  'aae.treesBuilt': { name: 'kvorum_aae_trees_built_total', help: 'Partition hash trees built from the disk.' },
  'aae.backoffs': { name: 'kvorum_aae_backoffs_total', help: 'Times anti-entropy halved its rate because foreground latency was high.' },
  'gossip.sent': { name: 'kvorum_gossip_sent_total', help: 'Gossip messages sent.' },
  'gossip.received': { name: 'kvorum_gossip_received_total', help: 'Gossip messages received.' },
  'gossip.refusedPartitionCount': { name: 'kvorum_gossip_refused_partition_count_total', help: "Gossiped views refused for a partition count other than this node's." },
  'membership.viewsAdopted': { name: 'kvorum_membership_views_adopted_total', help: 'Newer cluster views this node adopted.' },
  'transfers.started': { name: 'kvorum_transfers_started_total', help: 'Partition transfers this node started sending.' },
  'transfers.completed': { name: 'kvorum_transfers_completed_total', help: 'Partition transfers this node finished sending.' },
  'transfers.retries': { name: 'kvorum_transfer_retries_total', help: 'Transfer chunks sent again after a failure or timeout.' },
  'transfers.keysSent': { name: 'kvorum_transfer_keys_sent_total', help: 'Keys of finished transfers this node sent.' },
  'transfers.keysReceived': { name: 'kvorum_transfer_keys_received_total', help: 'Keys this node received in partition transfers.' },
  'transfers.writesForwarded': { name: 'kvorum_transfer_writes_forwarded_total', help: "Writes made during a transfer and passed on to the partition's new owner." },
  'strays.passes': { name: 'kvorum_stray_passes_total', help: 'Sweeps for copies this node no longer replicates.' },
  'strays.keysAbandoned': { name: 'kvorum_stray_keys_abandoned_total', help: 'Stray copies of partitions this node gave up, dropped without hand-off.' },
  'strays.keysHandedOff': { name: 'kvorum_stray_keys_handed_off_total', help: "Stray copies handed to the key's replicas." },
  'strays.keysDropped': { name: 'kvorum_stray_keys_dropped_total', help: 'Stray copies dropped after their replicas stored them.' },
  'strays.partitionsSkipped': { name: 'kvorum_stray_partitions_skipped_total', help: 'Stray sweeps of a partition skipped for now (a replica unreachable).' },
  'tombstones.rounds': { name: 'kvorum_tombstone_rounds_total', help: 'Tombstone collection rounds this node started.' },
  'tombstones.rounds.refused': { name: 'kvorum_tombstone_rounds_failed_total', help: 'Tombstone collection rounds that removed nothing, by why.', labels: { reason: 'refused' } },
  'tombstones.rounds.unconfirmed': { name: 'kvorum_tombstone_rounds_failed_total', help: 'Tombstone collection rounds that removed nothing, by why.', labels: { reason: 'unconfirmed' } },
  'tombstones.rounds.undelivered': { name: 'kvorum_tombstone_rounds_failed_total', help: 'Tombstone collection rounds that removed nothing, by why.', labels: { reason: 'undelivered' } },
  'tombstones.rounds.timeout': { name: 'kvorum_tombstone_rounds_failed_total', help: 'Tombstone collection rounds that removed nothing, by why.', labels: { reason: 'timeout' } },
  'tombstones.collected': { name: 'kvorum_tombstones_collected_total', help: 'Tombstones collected (removed from every replica).' },
  'tombstones.fencesRaised': { name: 'kvorum_tombstone_fences_raised_total', help: 'Partition epochs this node raised for a collection round.' },
  'tombstones.staleRefused': { name: 'kvorum_tombstone_stale_refused_total', help: 'Objects refused as read before a collection fenced their partition.' },
  'tombstones.removedCopiesDropped': { name: 'kvorum_tombstone_removed_copies_dropped_total', help: 'Late copies of tombstones a round removed here, read elsewhere before that replica removed them, dropped.' },
  'tombstones.epochsCaughtUp': { name: 'kvorum_tombstone_epochs_caught_up_total', help: 'Partition epochs taken from a peer.' },
  'tombstones.epochsLearned': { name: 'kvorum_tombstone_epochs_learned_total', help: 'Times this node learned the partition epochs from a member.' },
  'tombstones.rejoinBlocked': { name: 'kvorum_tombstone_rejoin_blocked_total', help: 'Times a removed node that missed a round was kept from taking objects.' },
  'tombstones.partitionsAbandoned': { name: 'kvorum_tombstone_partitions_abandoned_total', help: 'Partitions a removed node gave up after missing a collection round.' },
};

const one = (value: number): readonly Sample[] => [{ labels: {}, value }];
const counter = (name: string, help: string, value: (status: ServerStatus) => number): ScalarMetric => ({ name, help, type: 'counter', labels: [], samples: (s) => one(value(s)) });
const gauge = (name: string, help: string, value: (status: ServerStatus) => number): ScalarMetric => ({ name, help, type: 'gauge', labels: [], samples: (s) => one(value(s)) });
const histogram = (name: string, help: string, of: (i: Instruments) => Histogram): HistogramMetric => ({ name, help, type: 'histogram', labels: [], series: (i) => [{ labels: {}, histogram: of(i) }] });
const binary = (name: string, help: string, type: 'counter' | 'gauge', value: (b: NonNullable<ServerStatus['binary']>) => number): ScalarMetric => ({
  name,
  help,
  type,
  labels: [],
  samples: (s) => (s.binary === null ? [] : one(value(s.binary))),
});

/** The core counters, grouped by Prometheus name (some share one, with a label). */
function coreCounterMetrics(): ScalarMetric[] {
  const byName = new Map<string, CoreCounter[]>();
  for (const counterName of Object.keys(coreCounters) as CoreCounter[]) {
    const { name } = coreCounters[counterName];
    byName.set(name, [...(byName.get(name) ?? []), counterName]);
  }
  return [...byName].map(([name, counters]) => {
    const first = coreCounters[counters[0]!];
    return {
      name,
      help: first.help,
      type: 'counter',
      labels: Object.keys(first.labels ?? {}),
      samples: (s: ServerStatus) => counters.map((c) => ({ labels: coreCounters[c].labels ?? {}, value: s.node.counters[c] })),
    };
  });
}

const reachable = (reachability: string): number => (reachability === 'up' || reachability === 'self' ? 1 : 0);

/** A gauge with a series per member of the ring (removed ones left out). */
const perMember = (name: string, help: string, value: (member: MemberReport) => number): ScalarMetric => ({
  name,
  help,
  type: 'gauge',
  labels: ['member'],
  samples: (s) => s.node.members.filter((m) => m.membership !== 'removed').map((m) => ({ labels: { member: m.name }, value: value(m) })),
});

/** A latency histogram per value of one label (label values in snake_case). */
function histogramBy<K extends string>(name: string, help: string, label: string, keys: readonly K[], histogram: (i: Instruments, key: K) => Histogram): HistogramMetric {
  return { name, help, type: 'histogram', labels: [label], series: (i) => keys.map((key) => ({ labels: { [label]: snakeCase(key) }, histogram: histogram(i, key) })) };
}

export const metricCatalogue: readonly MetricSpec[] = [
  // Clients (runtime/node-runtime.ts, instruments.ts).
  {
    name: 'kvorum_client_requests_total',
    help: 'Client requests this node answered (HTTP and binary protocol), by operation.',
    type: 'counter',
    labels: ['op'],
    samples: (s) => clientOps.map((op) => ({ labels: { op }, value: s.client.requests[op] })),
  },
  {
    name: 'kvorum_client_errors_total',
    help: 'Client requests this node answered with an error, by operation and error code (docs/api.md).',
    type: 'counter',
    labels: ['op', 'code'],
    samples: (s) => clientOps.flatMap((op) => Object.entries(s.client.errors[op]).map(([code, value]) => ({ labels: { op, code }, value }))),
  },
  histogramBy(
    'kvorum_client_request_duration_seconds',
    'Time from a client request reaching this node to its answer, by operation (coordinated or forwarded by this node).',
    'op',
    clientOps,
    (i, op) => i.clientSeconds[op],
  ),
  gauge('kvorum_client_requests_pending', 'Client requests waiting for their answer now.', (s) => s.client.pending),
  gauge('kvorum_operations_inflight', 'Operations this node coordinates now (requests and forwards).', (s) => s.node.inflight),
  // Replicas (runtime/store-executor.ts).
  histogramBy('kvorum_store_op_duration_seconds', "Time of a replica's store op on its object buffer (read, merge, write back), by op.", 'op', storeOpKinds, (i, op) => i.storeOpSeconds[op]),
  // Peers (runtime/transport/).
  histogramBy('kvorum_peer_round_trip_seconds', 'Time from sending a request to a peer to its reply, by request.', 'request', peerRequestKinds, (i, request) => i.peerRoundTripSeconds[request]),
  counter('kvorum_peer_messages_refused_total', 'Malformed messages from peers, or ones beyond their limits, dropped.', (s) => s.peers.messagesRefused),
  counter('kvorum_peer_messages_too_large_total', 'Messages not sent because they exceed the frame limit (a bug worth reporting).', (s) => s.peers.messagesTooLarge),
  counter('kvorum_peer_frames_timed_out_total', 'Peer connections dropped because a frame did not arrive whole in time.', (s) => s.peers.framesTimedOut),
  counter('kvorum_peer_connections_refused_total', 'Peer connections refused or closed for exceeding the connection limits.', (s) => s.peers.connectionsRefused),
  // Membership (core/membership/).
  perMember('kvorum_member_up', "1 when this node's failure detector sees the member as reachable (and for itself), else 0.", (m) => reachable(m.reachability)),
  perMember('kvorum_partitions_owned', 'Partitions each member owns in the serving ring, as this node knows it.', (m) => m.partitions),
  gauge('kvorum_ring_version', 'Version of the cluster view this node serves.', (s) => s.node.ring.version),
  gauge('kvorum_node_ready', '1 when this node coordinates requests (it knows the ring, its view and the partition epochs).', (s) => (s.node.notReadyBecause === null ? 1 : 0)),
  gauge('kvorum_transfers_pending', 'Transfers of the running membership change not known done yet.', (s) => s.node.transfers.pending.filter((t) => !t.completed).length),
  // The object buffer and LMDB (storage/write-buffer.ts).
  gauge('kvorum_buffer_pending_writes', 'Writes in the object buffer waiting for a commit.', (s) => s.buffer.pendingWrites),
  gauge('kvorum_buffer_pending_bytes', 'Bytes of the writes waiting for a commit.', (s) => s.buffer.pendingBytes),
  counter('kvorum_buffer_commits_total', 'Commits of the object buffer to disk.', (s) => s.buffer.commits),
  counter('kvorum_buffer_writes_committed_total', 'Writes those commits carried (divided by commits: the group-commit size).', (s) => s.buffer.writesCommitted),
  histogram('kvorum_lmdb_commit_duration_seconds', 'Time of one commit of the object buffer to LMDB, fsync included.', (i) => i.commitSeconds),
  counter('kvorum_wal_appends_total', 'Appends to the write-ahead log: each makes the writes since the last one durable.', (s) => s.buffer.logAppends),
  histogram('kvorum_wal_append_duration_seconds', 'Time of one append to the write-ahead log, its sync included.', (i) => i.logAppendSeconds),
  // Hinted handoff (core/handoff/).
  {
    name: 'kvorum_hints_pending',
    help: 'Hints (owner, key) this node holds, by the owner they wait for.',
    type: 'gauge',
    labels: ['owner'],
    samples: (s) => {
      const owners = new Set([...s.node.members.filter((m) => m.name !== s.node.name && m.membership !== 'removed').map((m) => m.name), ...Object.keys(s.node.hints.pendingByOwner)]);
      return [...owners].sort().map((owner) => ({ labels: { owner }, value: s.node.hints.pendingByOwner[owner] ?? 0 }));
    },
  },
  gauge('kvorum_hints_delivering', 'Hints sent to their owner and not acknowledged yet.', (s) => s.node.hints.delivering),
  // Anti-entropy (core/antientropy/).
  gauge('kvorum_aae_keys_stored', 'Keys in the hash trees this node has built.', (s) => s.node.antiEntropy.keysStored),
  gauge('kvorum_aae_rate_ratio', 'Anti-entropy rate as a share of its budget (1: full; halves on back-off).', (s) => s.node.antiEntropy.rateShare),
  gauge('kvorum_tombstone_epochs_known', "1 once this node knows the partition epochs (until then it refuses replicas' writes).", (s) => (s.node.epochsKnown ? 1 : 0)),
  ...coreCounterMetrics(),
  // The binary client protocol (runtime/client-protocol/).
  binary('kvorum_binary_connections', 'Binary protocol client connections open now.', 'gauge', (b) => b.connections),
  binary('kvorum_binary_inflight', 'Binary protocol requests in flight now.', 'gauge', (b) => b.inflight),
  binary('kvorum_binary_connections_opened_total', 'Binary protocol client connections accepted.', 'counter', (b) => b.connectionsOpened),
  binary('kvorum_binary_connections_refused_total', 'Binary protocol client connections refused (over clientConnectionsMax, or a bad hello).', 'counter', (b) => b.connectionsRefused),
  binary('kvorum_binary_requests_total', 'Binary protocol requests read.', 'counter', (b) => b.requests),
  binary('kvorum_binary_errors_total', 'Binary protocol requests answered with an error (any code).', 'counter', (b) => b.errors),
  binary('kvorum_binary_protocol_errors_total', 'Binary protocol connections closed for breaking the protocol.', 'counter', (b) => b.protocolErrors),
  binary('kvorum_binary_reply_writes_total', 'Socket writes that carried replies (requests divided by this: replies per write).', 'counter', (b) => b.replyWrites),
];

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
