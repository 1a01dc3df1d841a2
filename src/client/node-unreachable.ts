/**
 * "This node is not there": it refused the connection, the connection dropped before the
 * answer came, or it is being backed off after such failures. The client then tries the next
 * node of the key's route (Dynamo §4.6: fail fast, move on); any other error goes to the caller.
 */
export class NodeUnreachable extends Error {
  override name = 'NodeUnreachable';
}

/** undici's and the OS's codes for the same conditions over HTTP. */
const connectionErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);

export function isUnreachable(error: unknown): boolean {
  return error instanceof NodeUnreachable || connectionErrorCodes.has((error as { code?: string } | null)?.code ?? '');
}
