/**
 * The typed error of the framed wire (between nodes, and between clients and nodes): the other
 * side sent bytes that break the protocol (a frame longer than allowed, a body that is not
 * msgpack, a frame out of turn). The connection that carried them is closed; nothing else is
 * affected.
 */
import { KvorumError } from '../core/errors.ts';

export type WireViolation = 'frame_too_large' | 'malformed_frame' | 'unexpected_frame';

export class WireProtocolError extends KvorumError {
  override name = 'WireProtocolError';
  constructor(
    readonly violation: WireViolation,
    message: string,
    detail: Readonly<Record<string, unknown>> = {},
  ) {
    super('bad_request', message, { violation, ...detail });
  }
}
