/**
 * What a node must have before it listens beyond loopback (docs/security.md). On loopback only
 * processes of this machine can reach it, and `kvorum dev` runs there in plaintext. Anywhere else
 * the network is not trusted, so every port needs TLS (mutual between nodes), clients need
 * tokens, and the cluster secret must be strong enough that a recorded handshake proof cannot be
 * guessed offline. An operator can accept the risk for a network they trust with `insecure`.
 */
import { isIP } from 'node:net';

/** Characters a cluster secret needs beyond loopback: `kvorum secret` makes 43 (32 random bytes). */
export const clusterSecretCharsMin = 32;

export interface ListenFacts {
  /** Every host the node listens on (peer, HTTP, client ports). */
  readonly hosts: readonly string[];
  readonly clusterSecret: string | undefined;
  readonly tls: boolean;
  readonly tokens: number;
  readonly insecure: boolean;
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** What is missing for the node to listen where it is told to: empty when nothing is. */
export function listenPolicyProblems(facts: ListenFacts): string[] {
  const exposed = facts.hosts.filter((host) => !isLoopback(host));
  if (exposed.length === 0 || facts.insecure) return [];
  const problems: string[] = [];
  const where = `it listens beyond loopback (${[...new Set(exposed)].join(', ')})`;
  if ((facts.clusterSecret ?? '').length < clusterSecretCharsMin) {
    problems.push(`${where}, so it needs a cluster secret of at least ${clusterSecretCharsMin} characters (--cluster-secret; \`kvorum secret\` makes one)`);
  }
  if (!facts.tls) problems.push(`${where}, so it needs TLS: tls.ca, tls.cert and tls.key (\`kvorum certs\` makes them)`);
  if (facts.tokens === 0) problems.push(`${where}, so clients need tokens: auth.tokens (\`kvorum token\` makes one)`);
  return problems;
}
