/**
 * What a member entry may hold — its name, node address, HTTP URL, zone and capacity — checked
 * wherever one comes from outside this node: a gossiped view, a join request, a peer's
 * `senderAddress`. A node dials the addresses and clients route by the URLs, so a malformed one
 * must be refused before it is adopted, not when a socket is opened (where a throw would take
 * the node down) or when it reaches a log line (a newline would forge one).
 *
 * Each check returns null when the value is fine, else what is wrong (no throw), so the peer
 * message check and the HTTP layer can word their own errors.
 */
import { describeValue } from '../version/describe-value.ts';

/** Node names: what a config file, `kvorum start --name` and a join accept. */
export const nodeNameBytesMax = 64;
const nodeNamePattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** A DNS name is at most 253 characters; an IPv6 literal with a zone index fits too. */
export const hostBytesMax = 253;
/** An http(s) URL of a node's API: scheme, host, port, nothing more. */
export const httpUrlBytesMax = 300;
/** A failure domain's name (rack, zone). */
export const zoneCharactersMax = 128;
/**
 * Relative capacity of a node. Claim weighs partitions by it: a capacity near 0 or infinity
 * breaks its arithmetic (1e-300 answered a join with 500). Wide enough for any unit an operator
 * may pick (disk gigabytes, cores).
 */
export const nodeCapacityMin = 1e-6;
export const nodeCapacityMax = 1e6;

/** Host names and IPv4 literals: letters, digits, dot, hyphen, underscore (no spaces, no controls). */
const hostNamePattern = /^[A-Za-z0-9._-]+$/;
/** An IPv6 literal as it appears in brackets, with an optional zone index (fe80::1%eth0). */
const ipv6Pattern = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

export function nodeNameProblem(name: unknown): string | null {
  return typeof name === 'string' && nodeNamePattern.test(name) ? null : `a node name is 1 to ${nodeNameBytesMax} characters of A-Z a-z 0-9 _ . - (got ${describeValue(name)})`;
}

/** A node address: `host:port` or `[ipv6]:port`, port 1 to 65535. */
export function nodeAddressProblem(address: unknown): string | null {
  const wrong = `a node address is host:port with a port from 1 to 65535 (got ${describeValue(address)})`;
  if (typeof address !== 'string' || address.length > hostBytesMax + 8) return wrong;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (match === null) return wrong;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return wrong;
  const host = match[1] ?? match[2]!;
  const hostOk = match[1] !== undefined ? ipv6Pattern.test(host) : hostNamePattern.test(host);
  return hostOk && host.length <= hostBytesMax ? null : wrong;
}

/** The base URL of a node's HTTP API: http or https, a host, an optional port, no path, no controls. */
export function httpUrlProblem(url: unknown): string | null {
  const wrong = `an HTTP URL is http(s)://host[:port] (got ${describeValue(url)})`;
  if (typeof url !== 'string' || url.length > httpUrlBytesMax || controlCharacter.test(url)) return wrong;
  const match = /^https?:\/\/(\[[^\]]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/.exec(url);
  if (match === null) return wrong;
  if (match[2] !== undefined && (Number(match[2]) < 1 || Number(match[2]) > 65_535)) return wrong;
  const host = match[1]!;
  const hostOk = host.startsWith('[') ? ipv6Pattern.test(host.slice(1, -1)) : hostNamePattern.test(host);
  return hostOk ? null : wrong;
}

export function zoneProblem(zone: unknown): string | null {
  if (zone === undefined || zone === null) return null;
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > zoneCharactersMax || controlCharacter.test(zone)) {
    return `a zone is 1 to ${zoneCharactersMax} characters without control characters (got ${describeValue(zone)})`;
  }
  return null;
}

export function capacityProblem(capacity: unknown): string | null {
  if (typeof capacity === 'number' && capacity >= nodeCapacityMin && capacity <= nodeCapacityMax) return null;
  return `capacity must be a number from ${nodeCapacityMin} to ${nodeCapacityMax} (got ${describeValue(capacity)})`;
}
