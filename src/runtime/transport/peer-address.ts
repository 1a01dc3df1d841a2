/** A peer's "host:port" (IPv6 in brackets: "[::1]:7000"), checked when the peer list is set. */
import { KvorumError } from '../../core/errors.ts';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export function parsePeerAddress(node: string, address: string): PeerAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new KvorumError('bad_config', `peer '${node}': address '${address}' is not host:port`, { node, address });
  }
  return { host: match[1] ?? match[2]!, port };
}
