/**
 * The binary client protocol (DESIGN §10; the contract a client in any language implements is
 * docs/api.md, "Binary protocol"): frames of framing.ts (4-byte big-endian length, msgpack body)
 * on a node's client port. Riak's protocol-buffers API and Redis's RESP are the anchors: one
 * TCP connection carries many requests at once, each tagged with an id the reply echoes, and
 * replies come back in whatever order they finish.
 *
 *   client → server  hello    { op: 'hello', protocol: 'kvorum', version, auth?, client? }
 *   server → client  welcome  { op: 'welcome', protocol: 'kvorum', version, node, cluster, limits }
 *   client → server  request  { id, op: 'get' | 'put' | 'delete' | 'ring' | 'ping'
 *                                    | 'keys' | 'buckets' (version 2), ... }
 *   server → client  reply    { id, ... } | { id, error: { code, message, detail? } }
 *   server → client  closing  { error: { code, message, detail? } }     no id; then the server closes
 *
 * The operations, limits, error codes and context tokens are HTTP's (docs/api.md), so a context
 * from one protocol works in the other. Field names are short and stable: fields and ops are only
 * ever added, with a new version in the hello; a field's meaning never changes.
 */

/** What a hello must name: a server closes a connection that speaks anything else. */
export const clientProtocolName = 'kvorum';
/**
 * The version this code speaks. A hello asks for one; the server speaks it or refuses. 2 adds
 * the ops `keys` and `buckets` (listings, issue 12 §6).
 */
export const clientProtocolVersion = 2;
/** Every version a server speaks: a later one only adds ops and fields to an earlier one. */
export const clientProtocolVersions: readonly number[] = [1, 2];
/** Request ids are uint32: a client counts up and wraps, skipping ids still in flight. */
export const requestIdMax = 0xffff_ffff;
/** Of a hello's optional `client` (a name for the server's logs) and `auth` fields. */
export const helloFieldBytesMax = 256;
/** The URL scheme of a client address in `connect({ nodes })`: `kvorum://host:port`. */
export const clientUrlScheme = 'kvorum:';

export const requestOps = ['get', 'put', 'delete', 'ring', 'ping', 'keys', 'buckets'] as const;
export type RequestOp = (typeof requestOps)[number];
/** The version that added each op: a connection that spoke an earlier one in its hello may not use it. */
export const opSinceVersion: Readonly<Record<RequestOp, number>> = { get: 1, put: 1, delete: 1, ring: 1, ping: 1, keys: 2, buckets: 2 };

export interface HelloFrame {
  readonly op: 'hello';
  readonly protocol: typeof clientProtocolName;
  readonly version: number;
  /** Reserved for client tokens (DESIGN §2.8); a server that checks none ignores it. */
  readonly auth?: string | Uint8Array | undefined;
  /** Free text naming the client, for the server's logs. */
  readonly client?: string | undefined;
}

/** What the server holds a connection to; a client keeps within these. */
export interface WelcomeLimits {
  /** Largest request frame body the server reads; a longer one closes the connection. */
  readonly frameBytesMax: number;
  /** Largest reply frame body the server sends (a reply that would be longer is an error reply). */
  readonly replyFrameBytesMax: number;
  /** Requests (get, put, delete) in flight on one connection; one more is answered `overloaded`. */
  readonly inflightMax: number;
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  /** A connection with nothing in flight and no frame for this long is closed by the server. */
  readonly idleTimeoutMs: number;
}

export interface WelcomeFrame {
  readonly op: 'welcome';
  readonly protocol: typeof clientProtocolName;
  readonly version: number;
  /** The node's name, as the ring knows it. */
  readonly node: string;
  readonly cluster: string;
  readonly limits: WelcomeLimits;
}

export interface WireErrorBody {
  /** One of the codes of core/errors.ts (docs/api.md, "Errors"). */
  readonly code: string;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

export interface GetFrame {
  readonly id: number;
  readonly op: 'get';
  readonly bucket: string;
  readonly key: string;
  readonly r?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface PutFrame {
  readonly id: number;
  readonly op: 'put';
  readonly bucket: string;
  readonly key: string;
  /** msgpack bin (a str is refused: bytes must arrive as they were sent). */
  readonly value: Uint8Array;
  /** Default `application/octet-stream`. */
  readonly contentType?: string | undefined;
  /** A context token from a get, put or delete (either protocol); absent or '': none. */
  readonly context?: string | undefined;
  readonly w?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface DeleteFrame {
  readonly id: number;
  readonly op: 'delete';
  readonly bucket: string;
  readonly key: string;
  readonly context?: string | undefined;
  readonly w?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface RingFrame {
  readonly id: number;
  readonly op: 'ring';
}

export interface PingFrame {
  readonly id: number;
  readonly op: 'ping';
}

/** A page of a bucket's keys in order (version 2): as `GET /v1/kv/{bucket}?after=&limit=`. */
export interface KeysFrame {
  readonly id: number;
  readonly op: 'keys';
  readonly bucket: string;
  /** Keys after this one (the previous page's `next`); absent, nil or '': from the first. */
  readonly after?: string | undefined;
  /** Keys at most, 1 to 10,000 (default 1,000). */
  readonly limit?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

/** Bucket names (version 2): as `GET /v1/buckets`. */
export interface BucketsFrame {
  readonly id: number;
  readonly op: 'buckets';
  readonly timeoutMs?: number | undefined;
}

export type RequestFrame = GetFrame | PutFrame | DeleteFrame | RingFrame | PingFrame | KeysFrame | BucketsFrame;

/** Every field a request of each op may carry; any other field is refused (`bad_request`). */
export const requestFields: Readonly<Record<RequestOp, ReadonlySet<string>>> = {
  get: new Set(['id', 'op', 'bucket', 'key', 'r', 'timeoutMs']),
  put: new Set(['id', 'op', 'bucket', 'key', 'value', 'contentType', 'context', 'w', 'timeoutMs']),
  delete: new Set(['id', 'op', 'bucket', 'key', 'context', 'w', 'timeoutMs']),
  ring: new Set(['id', 'op']),
  ping: new Set(['id', 'op']),
  keys: new Set(['id', 'op', 'bucket', 'after', 'limit', 'timeoutMs']),
  buckets: new Set(['id', 'op', 'timeoutMs']),
};

export interface SiblingBody {
  readonly value: Uint8Array;
  readonly contentType: string;
  readonly lastModifiedMs: number;
}

/** A get: the live siblings (none when missing or deleted) and, when anything is stored, its context. */
export interface GetReply {
  readonly id: number;
  readonly siblings: readonly SiblingBody[];
  readonly context?: string | undefined;
}

/** A put or delete: the context of the version just written. */
export interface WriteReply {
  readonly id: number;
  readonly context: string;
}

/** A page of a bucket's keys in order (version 2); `next`, absent on the last page, starts the next. */
export interface KeysReply {
  readonly id: number;
  readonly keys: readonly string[];
  readonly next?: string | undefined;
}

/** The names of the buckets (version 2), as `GET /v1/buckets`. */
export interface BucketsReply {
  readonly id: number;
  readonly buckets: readonly string[];
  readonly truncated: boolean;
}

/** The ring as `GET /v1/ring` answers it (the same data: a client needs no HTTP). */
export interface RingDescription {
  readonly version: number;
  readonly partitionCount: number;
  /** Length of each preference list. */
  readonly n: number;
  readonly nodes: readonly RingNodeDescription[];
  readonly partitions: readonly { readonly partition: number; readonly owner: string; readonly preferenceList: readonly string[] }[];
}

export interface RingNodeDescription {
  readonly name: string;
  readonly address: string;
  readonly httpUrl: string;
  /** null when the node has no client port: reach it over HTTP. */
  readonly clientAddress: string | null;
  readonly zone: string | null;
  readonly capacity: number;
}

export interface RingReply {
  readonly id: number;
  readonly ring: RingDescription;
}

export interface ErrorReply {
  readonly id: number;
  readonly error: WireErrorBody;
}

/** The last frame of a connection the server closes: no id, because no request caused it alone. */
export interface ClosingFrame {
  readonly error: WireErrorBody;
}
