/**
 * The shape of an address a client or node dials: "host:port", an IPv6 host in brackets
 * ("[::1]:9001"), no scheme. Checked wherever such an address enters (a config, a join, a
 * gossiped view, a client's seed list), so a malformed one is refused where it is written, not
 * found later by whoever dials it.
 */
const hostPortPattern = /^(?:\[[^\]]{1,253}\]|[^:[\]/\s]{1,253}):\d{1,5}$/;

export function isHostPort(text: unknown): text is string {
  return typeof text === 'string' && hostPortPattern.test(text) && Number(text.slice(text.lastIndexOf(':') + 1)) <= 65_535;
}
