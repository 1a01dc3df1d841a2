/**
 * The cluster as the dashboard on this node shows it: this node's own report and every other
 * member's, asked of each over HTTP (GET /v1/status, as a plan asks senders for partition sizes:
 * membership-backend.ts), with how THIS node's failure detector sees each. A member that does
 * not answer is reported unreachable, with the error — the page keeps working while nodes are
 * down and says so. It polls once a second, and only while a page (or `kvorum top`) is watching.
 * Where peers check tokens it presents the node token (security/node-token.ts), and with TLS it
 * trusts the cluster CA.
 */
import { Agent, fetch } from 'undici';
import type { ServerStatus } from '../status.ts';
import type { Activity, ActivityEvent } from './activity.ts';
import { sampleIntervalMs } from './activity.ts';

/** What GET /v1/status answers: the node's status and what it did lately. */
export interface NodeReport extends ServerStatus {
  readonly activity: Activity;
}

export interface ClusterNode {
  readonly name: string;
  readonly membership: string;
  /** How the serving node's failure detector sees it. */
  readonly reachability: string;
  readonly httpUrl: string;
  /** Its own report; null when it could not be fetched (`error` says why). */
  readonly report: NodeReport | null;
  readonly error: string | null;
}

export interface ClusterSnapshot {
  readonly atMs: number;
  readonly clusterName: string;
  /** The node serving the page. */
  readonly self: string;
  readonly ring: { readonly version: number; readonly partitionCount: number; readonly transition: boolean };
  readonly nodes: readonly ClusterNode[];
  /** Every node's recent events, oldest first. */
  readonly events: readonly ActivityEvent[];
}

/** A peer's report must come within this, or the peer is shown unreachable for this second. */
const peerReportTimeoutMs = 900;
/**
 * A snapshot is shared by whoever asks within this of it being made: however many pages, `top`s
 * and GET /v1/dashboard callers there are, a node asks each peer at most twice a second.
 */
const snapshotReuseMs = 500;
const eventsShownMax = 150;

/** How this node asks its peers for their reports. */
export interface PeerCredentials {
  /** Sent as a bearer token (the node token); none: peers that check tokens refuse with 401. */
  readonly token: string | undefined;
  /** The cluster CA, to trust peers' HTTPS; none: plain HTTP (or the system's CAs). */
  readonly ca: Buffer | undefined;
}

export class ClusterFeed {
  private readonly subscribers = new Set<(snapshot: ClusterSnapshot) => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private latest: { readonly madeMs: number; readonly snapshot: Promise<ClusterSnapshot> } | undefined;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Agent | undefined;

  constructor(
    /** A function: a node started with only a seed learns its cluster's name. */
    private readonly clusterName: () => string,
    private readonly local: () => NodeReport,
    credentials: PeerCredentials = { token: undefined, ca: undefined },
  ) {
    this.headers = credentials.token === undefined ? {} : { authorization: `Bearer ${credentials.token}` };
    this.dispatcher = credentials.ca === undefined ? undefined : new Agent({ connect: { ca: credentials.ca } });
  }

  get watchers(): number {
    return this.subscribers.size;
  }

  /** Calls `send` with a snapshot now and every second until the returned function is called. */
  subscribe(send: (snapshot: ClusterSnapshot) => void): () => void {
    this.subscribers.add(send);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll(), sampleIntervalMs);
      this.timer.unref();
    }
    void this.snapshot().then((snapshot) => {
      if (this.subscribers.has(send)) send(snapshot);
    });
    return () => {
      this.subscribers.delete(send);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops polling and closes the connections to peers. */
  async close(): Promise<void> {
    this.stop();
    await this.dispatcher?.close();
  }

  snapshot(): Promise<ClusterSnapshot> {
    const now = Date.now();
    if (this.latest === undefined || now - this.latest.madeMs >= snapshotReuseMs) this.latest = { madeMs: now, snapshot: this.make() };
    return this.latest.snapshot;
  }

  private async make(): Promise<ClusterSnapshot> {
    const own = this.local();
    const { node } = own;
    const nodes = await Promise.all(
      node.members
        .filter((member) => member.membership !== 'removed')
        .map(async (member): Promise<ClusterNode> => {
          const base = { name: member.name, membership: member.membership, reachability: member.reachability, httpUrl: member.httpUrl };
          if (member.name === node.name) return { ...base, report: own, error: null };
          try {
            return { ...base, report: await this.fetchReport(member.httpUrl), error: null };
          } catch (error) {
            return { ...base, report: null, error: describe(error) };
          }
        }),
    );
    const events = nodes
      .flatMap((n) => n.report?.activity.events ?? [])
      .sort((a, b) => a.atMs - b.atMs || a.node.localeCompare(b.node) || a.seq - b.seq)
      .slice(-eventsShownMax);
    return { atMs: Date.now(), clusterName: this.clusterName(), self: node.name, ring: node.ring, nodes, events };
  }

  private async poll(): Promise<void> {
    if (this.polling || this.subscribers.size === 0) return;
    this.polling = true;
    try {
      const snapshot = await this.snapshot();
      for (const send of this.subscribers) send(snapshot);
    } finally {
      this.polling = false;
    }
  }

  private async fetchReport(httpUrl: string): Promise<NodeReport> {
    const response = await fetch(`${httpUrl}/v1/status`, { headers: this.headers, dispatcher: this.dispatcher, signal: AbortSignal.timeout(peerReportTimeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    return (await response.json()) as NodeReport;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  if ((error as Error).name === 'TimeoutError') return `no answer within ${peerReportTimeoutMs} ms`;
  return cause ?? (error as Error).message;
}
