/** The client's public types (re-exported by index.ts) and the one request shape both protocols take. */
import type { KvorumError } from '../core/errors.ts';

export interface ConnectOptions {
  /**
   * One or more nodes: HTTP URLs (`http://127.0.0.1:8001`) or binary client addresses
   * (`kvorum://127.0.0.1:9001`). The rest of the cluster is learned from their ring.
   */
  readonly nodes: readonly string[];
  /**
   * `binary` (default): requests go over the binary protocol to every node that advertises a
   * client address, over HTTP to the others; `http`: over HTTP to every node.
   */
  readonly protocol?: 'binary' | 'http';
  /**
   * How long the client waits for an answer (plus a second's grace) to requests that set no
   * `timeoutMs` of their own; the node then applies its own deadline (`requestTimeoutMs`).
   * A request's `timeoutMs` is sent to the node and enforced here too. Default 5000 ms.
   */
  readonly timeoutMs?: number;
  /** How long a fetched ring is trusted before it is fetched again. Default 30 s. */
  readonly ringRefreshMs?: number;
  /** HTTP keep-alive connections per node. Default 64. (The binary protocol uses one per node.) */
  readonly connectionsPerNode?: number;
  /**
   * The client token (`kvorum token`) sent with every request, where the cluster checks tokens
   * (docs/security.md): as `Authorization: Bearer` over HTTP, in the hello over the binary protocol.
   */
  readonly token?: string | undefined;
  /**
   * Connect over TLS, trusting certificates signed by `ca` (PEM: the cluster's ca.pem from
   * `kvorum certs`). HTTP URLs must then be https://.
   */
  readonly tls?: { readonly ca: string | Uint8Array } | undefined;
}

/** How a channel reaches nodes: the token to present and the CA to trust, if any. */
export interface Credentials {
  readonly token: string | undefined;
  readonly ca: string | Uint8Array | undefined;
}

export interface Sibling {
  readonly value: Uint8Array;
  readonly contentType: string;
  /** Wall time the sibling was written (ms since epoch); absent when an HTTP node sent a single raw value. */
  readonly lastModifiedMs?: number | undefined;
}

export interface GetResult {
  /** Live concurrent values: none when the key is missing or deleted; several after concurrent writes. */
  readonly siblings: readonly Sibling[];
  /** Opaque causal context: pass it to the next put or delete of this key. */
  readonly context: string | undefined;
}

export interface GetOptions {
  readonly r?: number;
  readonly timeoutMs?: number;
}

export interface PutOptions {
  readonly context?: string | undefined;
  readonly w?: number;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export interface DeleteOptions {
  /**
   * The context of the get whose versions to delete. Without one the node reads the key at the
   * bucket's R and deletes exactly what that read saw (docs/api.md, DELETE).
   */
  readonly context?: string | undefined;
  readonly w?: number;
  readonly timeoutMs?: number;
}

/** One key request as either protocol's channel takes it. */
export interface KvRequest {
  readonly bucket: string;
  readonly key: string;
  /** The bytes of a put; undefined for a get or a delete. */
  readonly value?: Uint8Array | undefined;
  readonly contentType?: string | undefined;
  readonly context?: string | undefined;
  /** R of a get, W of a put or delete; undefined: the bucket's. */
  readonly quorum?: number | undefined;
  /** The deadline sent to the node; undefined: the node's default. */
  readonly timeoutMs?: number | undefined;
}

export interface ListKeysOptions {
  /** Keys after this one: the `next` of the previous page. */
  readonly after?: string | undefined;
  /** Keys in the page at most, 1 to 10,000 (default 1,000). */
  readonly limit?: number;
  readonly timeoutMs?: number;
}

/** A page of a bucket's keys, in order (UTF-8 byte order); `next` is undefined on the last page. */
export interface KeysPage {
  readonly keys: readonly string[];
  readonly next: string | undefined;
}

/** The buckets that hold keys or have properties of their own; `truncated` past 10,000. */
export interface BucketList {
  readonly buckets: readonly string[];
  readonly truncated: boolean;
}

/** A bucket's properties (docs/api.md, "Buckets"). */
export interface BucketProps {
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly pr: number;
  readonly pw: number;
  readonly resolution: 'siblings' | 'lww';
  readonly durability: 'sync' | 'one' | 'buffered';
}

/** One key of a getMany or putMany: its result, or the error that key alone met. */
export type ManyResult<T> = ({ readonly key: string; readonly error?: undefined } & T) | { readonly key: string; readonly error: KvorumError };

/** One write of a putMany. */
export interface PutItem {
  readonly key: string;
  readonly value: Uint8Array | string;
  readonly contentType?: string;
  readonly context?: string | undefined;
}
