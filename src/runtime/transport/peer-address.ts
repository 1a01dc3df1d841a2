/** A peer's "host:port" (IPv6 in brackets: "[::1]:7000"), checked when the peer list is set. */
import { KvorumError } from '../../core/errors.ts';
import { nodeAddressProblem } from '../../core/membership/member-fields.ts';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Throws KvorumError 'bad_config' when `address` is not one a view may hold (member-fields.ts). */
export function parsePeerAddress(node: string, address: string): PeerAddress {
  const problem = nodeAddressProblem(address);
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (problem !== null || match === null) {
    throw new KvorumError('bad_config', `peer '${node}': address ${JSON.stringify(address)} is not host:port`, { node, address });
  }
  return { host: match[1] ?? match[2]!, port: Number(match[3]) };
}
