/**
 * The security settings of a node (docs/security.md), from the cluster config and flags:
 *
 *   "auth": { "tokens": [{ "name": "app", "sha256": "…", "roles": ["read:carts", "write:carts"] }],
 *             "nodeTokenFile": "node-token" }   (the token this node shows its peers: node-token.ts)
 *   "tls":  { "ca": "ca.pem", "cert": "n1.pem", "key": "n1-key.pem" }   (paths relative to the file;
 *           each node's cert and key may also be given as nodes[].tls, or --tls-cert/--tls-key)
 *   "insecure": true   (listen beyond loopback without TLS, tokens or a strong secret: listen-policy.ts)
 *
 * Certificates are read once, at start, so a missing or unreadable file stops the node with a
 * clear bad_config instead of failing its first connection.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { KvorumError } from '../../core/errors.ts';
import { tokenEntryProblem, tokensCountMax, type TokenEntry } from './client-auth.ts';
import { readNodeToken } from './node-token.ts';

/** PEM bytes of the cluster CA, and of this node's certificate and key. */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The common name of this node's certificate (peers check it is the node's name). */
  readonly commonName: string;
}

export interface SecuritySettings {
  readonly clientTokens: readonly TokenEntry[];
  /** The token this node presents to its peers' HTTP API (node-token.ts); none: it presents none. */
  readonly nodeToken: string | undefined;
  /** TLS on every port (HTTP, client, peer — mutual between peers); undefined: plaintext. */
  readonly tls: TlsMaterial | undefined;
  /** The operator accepts listening beyond loopback without the protections listen-policy.ts asks for. */
  readonly insecure: boolean;
}

export interface SecurityFlags {
  readonly 'tls-ca'?: string | undefined;
  readonly 'tls-cert'?: string | undefined;
  readonly 'tls-key'?: string | undefined;
  readonly insecure?: string | boolean | undefined;
}

function bad(field: string, message: string): never {
  throw new KvorumError('bad_config', `${field}: ${message}`);
}

function record(field: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(field, 'expected an object');
  return raw as Record<string, unknown>;
}

function parseTokens(raw: unknown): TokenEntry[] {
  const auth = record('auth', raw);
  for (const field of Object.keys(auth)) if (field !== 'tokens' && field !== 'nodeTokenFile') bad('auth', `unknown field ${JSON.stringify(field)} (only "tokens" and "nodeTokenFile")`);
  if (auth.tokens === undefined) return [];
  if (!Array.isArray(auth.tokens)) bad('auth.tokens', 'expected a list of {name, sha256, roles}');
  if (auth.tokens.length > tokensCountMax) bad('auth.tokens', `at most ${tokensCountMax} tokens`);
  const names = new Set<string>();
  const hashes = new Set<string>();
  return auth.tokens.map((entry: unknown, index: number) => {
    const problem = tokenEntryProblem(entry);
    if (problem !== null) bad(`auth.tokens[${index}]`, problem);
    const token = entry as TokenEntry;
    if (names.has(token.name)) bad(`auth.tokens[${index}]`, `name ${token.name} appears twice`);
    // One token, two entries: which roles it has would depend on their order.
    if (hashes.has(token.sha256)) bad(`auth.tokens[${index}]`, `sha256 of ${token.name} is another entry's too`);
    names.add(token.name);
    hashes.add(token.sha256);
    return { name: token.name, sha256: token.sha256, roles: [...token.roles] };
  });
}

function readPem(field: string, path: string, baseDir: string): Buffer {
  try {
    return readFileSync(resolve(baseDir, path));
  } catch (error) {
    return bad(field, `cannot read ${path}: ${(error as Error).message}`);
  }
}

/** A mistyped field would otherwise leave the node in plaintext without a word. */
function onlyTlsFields(field: string, section: Record<string, unknown>): void {
  for (const name of Object.keys(section)) if (name !== 'ca' && name !== 'cert' && name !== 'key') bad(field, `unknown field ${JSON.stringify(name)} (only "ca", "cert" and "key")`);
}

/** Every certificate of a PEM file (a CA file may hold several: a chain, or an old CA and a new). */
function certificatesOf(pem: Buffer): X509Certificate[] {
  return (pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}

function parseTls(raw: unknown, nodeRaw: unknown, flags: SecurityFlags, baseDir: string): TlsMaterial | undefined {
  const shared = record('tls', raw);
  const own = record('nodes[].tls', nodeRaw);
  onlyTlsFields('tls', shared);
  onlyTlsFields('nodes[].tls', own);
  const path = (name: 'ca' | 'cert' | 'key'): { field: string; value: string; dir: string } | undefined => {
    const flag = flags[`tls-${name}`];
    if (flag !== undefined) return { field: `--tls-${name}`, value: flag, dir: process.cwd() };
    for (const [source, field] of [[own, `nodes[].tls.${name}`], [shared, `tls.${name}`]] as const) {
      const value = source[name];
      if (value === undefined) continue;
      if (typeof value !== 'string' || value.length === 0) bad(field, 'expected a file path');
      return { field, value, dir: baseDir };
    }
    return undefined;
  };
  const [ca, cert, key] = [path('ca'), path('cert'), path('key')];
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  if (ca === undefined || cert === undefined || key === undefined) bad('tls', 'give all three of ca, cert and key (or none): `kvorum certs` makes them');
  const material = { ca: readPem(ca.field, ca.value, ca.dir), cert: readPem(cert.field, cert.value, cert.dir), key: readPem(key.field, key.value, key.dir) };
  let commonName = '';
  try {
    const certificate = new X509Certificate(material.cert);
    const authorities = certificatesOf(material.ca);
    if (authorities.length === 0) bad(ca.field, 'no PEM certificate in the file');
    if (!authorities.some((authority) => certificate.verify(authority.publicKey))) bad(cert.field, 'the certificate is not signed by the CA in tls.ca');
    if (!certificate.checkPrivateKey(createPrivateKey(material.key))) bad(key.field, 'the key does not belong to the certificate');
    commonName = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1] ?? '';
  } catch (error) {
    if (error instanceof KvorumError) throw error;
    bad('tls', `not a PEM certificate and key: ${(error as Error).message}`);
  }
  return { ...material, commonName };
}

function parseInsecure(raw: unknown, flag: string | boolean | undefined): boolean {
  if (flag !== undefined) return flag === true || flag === 'true' || flag === '1';
  if (raw === undefined) return false;
  if (typeof raw !== 'boolean') bad('insecure', 'expected true or false');
  return raw;
}

function parseNodeToken(raw: unknown, tokens: readonly TokenEntry[], baseDir: string): string | undefined {
  const path = record('auth', raw).nodeTokenFile;
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || path.length === 0) bad('auth.nodeTokenFile', 'expected a file path');
  return readNodeToken(path, baseDir, tokens);
}

/** `raw`: the config file; `nodeRaw`: this node's entry in its `nodes`, if any. */
export function parseSecuritySettings(raw: Record<string, unknown>, nodeRaw: unknown, flags: SecurityFlags, baseDir: string): SecuritySettings {
  const node = record('nodes[]', nodeRaw);
  const clientTokens = parseTokens(raw.auth);
  return {
    clientTokens,
    nodeToken: parseNodeToken(raw.auth, clientTokens, baseDir),
    tls: parseTls(raw.tls, node.tls, flags, baseDir),
    insecure: parseInsecure(raw.insecure, flags.insecure),
  };
}
