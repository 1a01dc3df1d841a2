/**
 * Client authentication and authorisation (docs/security.md): bearer tokens, each with roles.
 *
 * The config holds only a token's SHA-256, never the token: whoever reads the config file, a
 * backup of it or a process listing cannot use it. A token is 32 random bytes, base64url, with a
 * `kvt_` prefix so that scanners and people can tell it for what it is (`kvorum token`).
 *
 * Roles, each a grant: `admin` (everything: membership changes, bucket settings, every bucket),
 * `monitor` (the cluster's state: /v1/cluster, /v1/transfers, /v1/partitions, /metrics),
 * `read` and `write` (every bucket's keys), `read:BUCKET` and `write:BUCKET` (one bucket's).
 * Every valid token may read the ring: a client routes by it (Dynamo §6.4).
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KvorumError } from '../../core/errors.ts';
import { validateBucket } from '../../core/validate.ts';

/** What a request asks to do: one action, on one bucket for the key-value actions. */
export type Permission =
  | { readonly action: 'read' | 'write'; readonly bucket: string }
  | { readonly action: 'admin' | 'monitor' | 'ring' };

export interface TokenEntry {
  /** For logs and errors: who this token was given to. */
  readonly name: string;
  /** Lowercase hex SHA-256 of the token. */
  readonly sha256: string;
  readonly roles: readonly string[];
}

/** The longest token accepted: anything longer is refused before it is hashed. */
export const tokenCharsMax = 256;
/** Tokens in one config. */
export const tokensCountMax = 1_000;
const rolePattern = /^(admin|monitor|read|write)(:[A-Za-z0-9_.-]{1,64})?$/;
const hexSha256 = /^[0-9a-f]{64}$/;

export function newToken(): string {
  return `kvt_${randomBytes(32).toString('base64url')}`;
}

export function tokenSha256(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Why `entry` cannot be a token entry of a config, or null. */
export function tokenEntryProblem(entry: unknown): string | null {
  if (typeof entry !== 'object' || entry === null) return 'expected {name, sha256, roles}';
  const { name, sha256, roles } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) return 'name: 1-64 characters of A-Z a-z 0-9 _ . @ -';
  if (typeof sha256 !== 'string' || !hexSha256.test(sha256)) return 'sha256: the 64 hex digits `kvorum token` prints (the token itself never goes in the config)';
  if (!Array.isArray(roles) || roles.length === 0) return 'roles: a non-empty list such as ["read:carts", "write:carts"] or ["admin"]';
  for (const role of roles) {
    if (typeof role !== 'string' || !rolePattern.test(role)) return `roles: ${JSON.stringify(role)} is not admin, monitor, read, write, read:BUCKET or write:BUCKET`;
    if (role.includes(':')) {
      try {
        validateBucket(role.slice(role.indexOf(':') + 1));
      } catch (error) {
        return `roles: ${role}: ${(error as Error).message}`;
      }
    }
    if ((role.startsWith('admin:') || role.startsWith('monitor:'))) return `roles: ${role}: admin and monitor are not per bucket`;
  }
  return null;
}

/** Who made a request: the name of the token it carried, or anonymous where no tokens are configured. */
export interface Caller {
  readonly name: string;
  allows(permission: Permission): boolean;
}

const anonymous: Caller = { name: 'anonymous', allows: () => true };

/**
 * The tokens a node accepts. With none configured every request is allowed (a node on loopback,
 * `kvorum dev` without tokens, or an operator who chose `insecure`: listen-policy.ts).
 */
export class ClientAuth {
  private readonly bySha256 = new Map<string, TokenEntry>();

  constructor(entries: readonly TokenEntry[]) {
    for (const entry of entries) this.bySha256.set(entry.sha256, entry);
  }

  get enabled(): boolean {
    return this.bySha256.size > 0;
  }

  /**
   * The caller a token names. Throws KvorumError `unauthorized` for a missing or unknown token
   * (when tokens are configured): the same words whatever was wrong, so nothing is learned.
   */
  caller(token: string | undefined): Caller {
    if (!this.enabled) return anonymous;
    if (token === undefined || token.length === 0 || token.length > tokenCharsMax) throw unauthorized();
    const digest = tokenSha256(token);
    const entry = this.bySha256.get(digest);
    // The map lookup already matched; the constant-time compare keeps it honest if that changes.
    if (entry === undefined || !timingSafeEqual(Buffer.from(entry.sha256), Buffer.from(digest))) throw unauthorized();
    return callerOf(entry);
  }
}

function callerOf(entry: TokenEntry): Caller {
  const roles = new Set(entry.roles);
  return {
    name: entry.name,
    allows(permission: Permission): boolean {
      if (roles.has('admin')) return true;
      switch (permission.action) {
        case 'ring':
          return true;
        case 'monitor':
          return roles.has('monitor');
        case 'admin':
          return false;
        default:
          return roles.has(permission.action) || roles.has(`${permission.action}:${permission.bucket}`);
      }
    },
  };
}

export function unauthorized(): KvorumError {
  return new KvorumError('unauthorized', 'a valid token is needed: send "Authorization: Bearer TOKEN" (HTTP) or auth in the hello (binary protocol)');
}

export function forbidden(caller: Caller, permission: Permission): KvorumError {
  const what = 'bucket' in permission ? `${permission.action} bucket ${permission.bucket}` : permission.action;
  return new KvorumError('forbidden', `token ${caller.name} may not ${what}`, { need: 'bucket' in permission ? `${permission.action}:${permission.bucket}` : permission.action });
}

/** Throws unless `caller` may do what `permission` names. */
export function authorize(caller: Caller, permission: Permission): void {
  if (!caller.allows(permission)) throw forbidden(caller, permission);
}
