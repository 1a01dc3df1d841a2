/**
 * Timeouts and caps of the HTTP API, named with their unit last (DESIGN §13). Before these, a
 * request body never timed out: 200 connections each sending most of a 1 MiB body held their
 * memory for good (issue 11 §5). A cluster config may shorten the timeouts (`http` in the config
 * file: tests do); the caps are fixed.
 */
import { limits } from '../../core/limits.ts';

export interface HttpTimeouts {
  /** From a request's first byte to its last: a request still arriving after this gets 408 and is closed. */
  readonly requestTimeoutMs: number;
  /** From a request's first byte to the end of its headers (at most requestTimeoutMs). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection between requests is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /**
   * A connection with no bytes either way for this long is closed. Longer than the longest
   * request deadline, so that a request waiting for its quorum is never cut off while it waits.
   */
  readonly idleTimeoutMs: number;
}

export const httpTimeoutsDefault: HttpTimeouts = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: limits.requestTimeoutMsMax + 10_000,
};

/** The largest timeout a config may set: one hour. */
export const httpTimeoutMsMax = 3_600_000;
/** Request line and headers together (Node's default; a context token is at most 8 KiB of it). */
export const httpHeaderBytesMax = 16 * 1024;
/** Open connections at once; beyond them new ones are closed on arrival. */
export const httpConnectionsMax = 4096;
/**
 * How often the server looks for requests past their timeouts. Node's default, 30 s, would let a
 * slow request live up to 30 s past its timeout.
 */
export const httpTimeoutCheckIntervalMs = 1_000;
