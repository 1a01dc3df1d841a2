/**
 * The random choices of gossip (which peer, Dynamo §4.8.1 "a peer chosen at random"), drawn from
 * a seed the runtime supplies (NodeConfig), because the core draws no random numbers of its own:
 * the simulator replays a run exactly from its seed. mulberry32: small, fast, good enough to
 * pick peers.
 */
export class GossipRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** An integer in [0, below). */
  below(below: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * below);
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.below(items.length)];
  }
}
