/**
 * What a node did lately, for the dashboard and `kvorum top`: once a second it takes its own
 * status (plain data, runtime/status.ts) and the difference from the second before gives a
 * history point (requests per second, p50/p99 latency of gets and puts from the latency
 * histograms) and events — a peer going down or coming back as this node's failure detector sees
 * it, a membership change, a partition moved, hints kept and delivered, keys repaired, tombstones
 * collected, siblings made and resolved, requests failing. One status a second is all it costs;
 * nothing here runs per request.
 */
import type { CoreCounter } from '../../core/counters.ts';
import { quantile } from '../metrics/histogram.ts';
import type { Instruments } from '../metrics/instruments.ts';
import type { ServerStatus } from '../status.ts';

export interface HistoryPoint {
  readonly atMs: number;
  /** Requests answered per second, by op. */
  readonly getPerSecond: number;
  readonly putPerSecond: number;
  readonly deletePerSecond: number;
  /** Latency quantiles of the second's gets and puts in milliseconds; null when there were none. */
  readonly getP50Ms: number | null;
  readonly getP99Ms: number | null;
  readonly putP50Ms: number | null;
  readonly putP99Ms: number | null;
  readonly hintsPending: number;
  /** Hints delivered in the second: the hints draining. */
  readonly hintsDelivered: number;
}

export type EventKind = 'node' | 'member' | 'ring' | 'transfer' | 'hint' | 'repair' | 'tombstone' | 'sibling' | 'error';

export interface ActivityEvent {
  /** Increasing per node: a client that has seen seq s of a node wants only later ones. */
  readonly seq: number;
  readonly atMs: number;
  /** The node that saw it. */
  readonly node: string;
  readonly kind: EventKind;
  readonly level: 'info' | 'warn';
  readonly text: string;
}

export interface Activity {
  readonly history: readonly HistoryPoint[];
  readonly events: readonly ActivityEvent[];
}

export const sampleIntervalMs = 1_000;
/** Two minutes of history points. */
const historyPointsMax = 120;
const eventsKeptMax = 200;
/** More partitions moved in one second than this are reported as one event. */
const movesListedMax = 4;

/** Counters whose increase is an event, and how to say it. */
const counterEvents: readonly { counter: CoreCounter; kind: EventKind; text: (n: number) => string }[] = [
  { counter: 'hints.stored', kind: 'hint', text: (n) => `kept ${plural(n, 'hint')} for unreachable owners` },
  { counter: 'hints.delivered', kind: 'hint', text: (n) => `delivered ${plural(n, 'hint')} to their owners` },
  { counter: 'aae.keysRepaired', kind: 'repair', text: (n) => `anti-entropy sent ${plural(n, 'missing version')} to replicas` },
  { counter: 'aae.keysReceived', kind: 'repair', text: (n) => `anti-entropy repaired ${plural(n, 'key')} here` },
  { counter: 'readRepairs', kind: 'repair', text: (n) => `read repair updated ${plural(n, 'stale replica')}` },
  { counter: 'tombstones.collected', kind: 'tombstone', text: (n) => `collected ${plural(n, 'tombstone')}` },
  { counter: 'siblingsCreated', kind: 'sibling', text: (n) => `${plural(n, 'sibling')} created by concurrent writes` },
  { counter: 'siblingsResolved', kind: 'sibling', text: (n) => `${plural(n, 'sibling')} resolved` },
  { counter: 'siblingsTruncated', kind: 'sibling', text: (n) => `${plural(n, 'sibling')} truncated (over the bound)` },
];

export class ActivityLog {
  private readonly history: HistoryPoint[] = [];
  private readonly events: ActivityEvent[] = [];
  private nextSeq = 1;
  private previous: { readonly status: ServerStatus; readonly atMs: number; readonly getCounts: Float64Array; readonly putCounts: Float64Array } | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly status: () => ServerStatus,
    private readonly instruments: Instruments,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  report(): Activity {
    return { history: [...this.history], events: [...this.events] };
  }

  /** Takes one sample (the timer calls this; tests call it directly). */
  sample(): void {
    const status = this.status();
    const atMs = this.now();
    const getCounts = this.instruments.clientSeconds.get.snapshot();
    const putCounts = this.instruments.clientSeconds.put.snapshot();
    const previous = this.previous;
    this.previous = { status, atMs, getCounts, putCounts };
    if (previous === null) {
      this.event(atMs, status.node.name, 'node', 'info', `${status.node.name} started serving (ring version ${status.node.ring.version})`);
      return;
    }
    const seconds = Math.max(0.001, (atMs - previous.atMs) / 1000);
    const delta = (now: Float64Array, then: Float64Array) => now.map((count, i) => count - then[i]!);
    const getDelta = delta(getCounts, previous.getCounts);
    const putDelta = delta(putCounts, previous.putCounts);
    const ms = (value: number | null) => (value === null ? null : round(value * 1000));
    const { bounds } = this.instruments.clientSeconds.get;
    const requests = status.client.requests;
    const before = previous.status.client.requests;
    const counters = status.node.counters;
    this.history.push({
      atMs,
      getPerSecond: round((requests.get - before.get) / seconds),
      putPerSecond: round((requests.put - before.put) / seconds),
      deletePerSecond: round((requests.delete - before.delete) / seconds),
      getP50Ms: ms(quantile(bounds, getDelta, 0.5)),
      getP99Ms: ms(quantile(bounds, getDelta, 0.99)),
      putP50Ms: ms(quantile(this.instruments.clientSeconds.put.bounds, putDelta, 0.5)),
      putP99Ms: ms(quantile(this.instruments.clientSeconds.put.bounds, putDelta, 0.99)),
      hintsPending: status.node.hints.pending,
      hintsDelivered: counters['hints.delivered'] - previous.status.node.counters['hints.delivered'],
    });
    if (this.history.length > historyPointsMax) this.history.splice(0, this.history.length - historyPointsMax);
    this.diff(previous.status, status, atMs);
  }

  private diff(before: ServerStatus, now: ServerStatus, atMs: number): void {
    const self = now.node.name;
    const say = (kind: EventKind, level: 'info' | 'warn', text: string) => this.event(atMs, self, kind, level, text);
    const was = new Map(before.node.members.map((member) => [member.name, member]));
    for (const member of now.node.members) {
      const old = was.get(member.name);
      if (old === undefined) {
        say('member', 'info', `${member.name} appears in the ring (${member.membership})`);
        continue;
      }
      if (old.membership !== member.membership) say('member', member.membership === 'removed' ? 'warn' : 'info', `${member.name} is ${member.membership} now (was ${old.membership})`);
      // From unknown (not heard from since this node started) to up is no news.
      if (old.reachability !== member.reachability && member.reachability === 'down') say('member', 'warn', `${member.name} is down, as ${self}'s failure detector sees it`);
      if (old.reachability === 'down' && member.reachability === 'up') say('member', 'info', `${member.name} is up again`);
    }
    const ring = now.node.ring;
    if (ring.version !== before.node.ring.version) {
      if (ring.transition && !before.node.ring.transition) say('ring', 'info', `membership change committed (ring version ${ring.version}): ${plural(now.node.transfers.pending.length, 'transfer')} to run`);
      else if (!ring.transition && before.node.ring.transition) say('ring', 'info', `membership change finished (ring version ${ring.version})`);
      else say('ring', 'info', `ring version ${ring.version}`);
    }
    const doneBefore = new Set(before.node.transfers.pending.filter((t) => t.completed).map((t) => t.id));
    const moved = now.node.transfers.pending.filter((t) => t.completed && !doneBefore.has(t.id));
    if (moved.length > movesListedMax) say('transfer', 'info', `${moved.length} partitions moved`);
    else for (const t of moved) say('transfer', 'info', `partition ${t.partition} moved ${t.from} → ${t.to}`);
    for (const { counter, kind, text } of counterEvents) {
      const increase = now.node.counters[counter] - before.node.counters[counter];
      if (increase > 0) say(kind, counter === 'siblingsTruncated' ? 'warn' : 'info', text(increase));
    }
    const rounds = now.node.counters['tombstones.rounds'] - before.node.counters['tombstones.rounds'];
    if (rounds > 0) say('tombstone', 'info', `ran ${plural(rounds, 'tombstone collection round')}`);
    for (const op of ['get', 'put', 'delete'] as const) {
      for (const [code, count] of Object.entries(now.client.errors[op])) {
        const increase = count - (before.client.errors[op][code] ?? 0);
        if (increase > 0) say('error', 'warn', `${plural(increase, op)} answered ${code}`);
      }
    }
  }

  private event(atMs: number, node: string, kind: EventKind, level: 'info' | 'warn', text: string): void {
    this.events.push({ seq: this.nextSeq++, atMs, node, kind, level, text });
    if (this.events.length > eventsKeptMax) this.events.splice(0, this.events.length - eventsKeptMax);
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
