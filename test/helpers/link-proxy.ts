/**
 * Network partitions between real node processes, without root: a loopback TCP proxy on every
 * ordered link (from → to), so that node X reaches node Y only through a port that X alone
 * dials (the cluster config's `dialAddresses`). Clients talk to nodes directly and are never cut.
 *
 * `cut(a, b)` partitions the links between two groups both ways, as a real partition does:
 * connections open across it are destroyed (a TCP stream cannot lose bytes in the middle and
 * stay usable, so the proxy never drops data on a live connection), and new connections are
 * accepted and then blackholed — held open, nothing forwarded — so the dialer sees a handshake
 * that never completes rather than a clean refusal. `heal()` destroys the held connections so
 * the dialers reconnect, and forwards again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

interface Link {
  readonly from: string;
  readonly to: string;
  readonly server: Server;
  readonly port: number;
  /** Client-side sockets of this link, each with its upstream socket when forwarding. */
  readonly connections: Set<{ client: Socket; upstream?: Socket }>;
}

export class LinkProxy {
  private readonly cutLinks = new Set<string>();

  private constructor(private readonly links: Map<string, Link>) {}

  /** A proxy for every ordered pair of `nodes` (name → advertised node address). */
  static async start(nodes: ReadonlyMap<string, string>): Promise<LinkProxy> {
    const links = new Map<string, Link>();
    const proxy = new LinkProxy(links);
    for (const [from] of nodes) {
      for (const [to, address] of nodes) {
        if (from === to) continue;
        links.set(linkName(from, to), await proxy.listen(from, to, address));
      }
    }
    return proxy;
  }

  /** What `from` should dial to reach `to`: the config's `dialAddresses` of node `from`. */
  dialAddressesOf(from: string): Record<string, string> {
    const addresses: Record<string, string> = {};
    for (const link of this.links.values()) if (link.from === from) addresses[link.to] = `127.0.0.1:${link.port}`;
    return addresses;
  }

  /** Partitions group `a` from group `b`, both directions. */
  cut(a: readonly string[], b: readonly string[]): void {
    for (const x of a) {
      for (const y of b) {
        for (const name of [linkName(x, y), linkName(y, x)]) {
          this.cutLinks.add(name);
          this.dropConnections(name);
        }
      }
    }
  }

  /** Ends every partition: held connections are closed so their dialers reconnect. */
  heal(): void {
    const healed = [...this.cutLinks];
    this.cutLinks.clear();
    for (const name of healed) this.dropConnections(name);
  }

  async close(): Promise<void> {
    for (const name of this.links.keys()) this.dropConnections(name);
    await Promise.all([...this.links.values()].map((link) => new Promise((resolve) => link.server.close(resolve))));
  }

  private async listen(from: string, to: string, target: string): Promise<Link> {
    const [host, portText] = splitHostPort(target);
    const connections = new Set<{ client: Socket; upstream?: Socket }>();
    const server = createServer((client) => {
      const entry: { client: Socket; upstream?: Socket } = { client };
      connections.add(entry);
      client.on('error', () => {});
      client.once('close', () => {
        connections.delete(entry);
        entry.upstream?.destroy();
      });
      if (this.cutLinks.has(linkName(from, to))) return; // blackholed: held, never forwarded
      const upstream = connect(Number(portText), host);
      entry.upstream = upstream;
      upstream.on('error', () => client.destroy());
      upstream.once('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    return { from, to, server, port, connections };
  }

  private dropConnections(name: string): void {
    const link = this.links.get(name);
    if (!link) throw new Error(`no link ${name}`);
    for (const { client, upstream } of link.connections) {
      client.destroy();
      upstream?.destroy();
    }
    link.connections.clear();
  }
}

function linkName(from: string, to: string): string {
  return `${from}->${to}`;
}

function splitHostPort(address: string): [string, string] {
  const index = address.lastIndexOf(':');
  return [address.slice(0, index).replace(/^\[|\]$/g, ''), address.slice(index + 1)];
}
