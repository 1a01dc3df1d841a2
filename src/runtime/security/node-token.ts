/**
 * How one node reads another's status over HTTP when the cluster checks tokens (the dashboard's
 * feed asks every member for GET /v1/status: dashboard/cluster-feed.ts): it presents the node
 * token, an ordinary client token that every node holds in a file (`auth.nodeTokenFile`, mode
 * 0600, like a TLS key) and whose entry in `auth.tokens` grants `monitor`. A file rather than
 * the config, which holds only hashes; a token of its own rather than one derived from the
 * cluster secret, so that `kvorum dev` and clusters without a secret work alike. Without one, a
 * node whose peers check tokens shows their reports as refused (HTTP 401); nothing else needs it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KvorumError } from '../../core/errors.ts';
import { tokenCharsMax, tokenSha256, type TokenEntry } from './client-auth.ts';

/**
 * The token in `path` (relative to `baseDir`), checked against `tokens`: it must be one of them
 * and grant `monitor`, or every peer would refuse it — better a bad_config at start.
 */
export function readNodeToken(path: string, baseDir: string, tokens: readonly TokenEntry[]): string {
  const field = 'auth.nodeTokenFile';
  let token: string;
  try {
    token = readFileSync(resolve(baseDir, path), 'utf8').trim();
  } catch (error) {
    throw new KvorumError('bad_config', `${field}: cannot read ${path}: ${(error as Error).message}`);
  }
  if (token.length === 0 || token.length > tokenCharsMax || /\s/.test(token)) throw new KvorumError('bad_config', `${field}: ${path} does not hold one token`);
  const entry = tokens.find((candidate) => candidate.sha256 === tokenSha256(token));
  if (entry === undefined) throw new KvorumError('bad_config', `${field}: the token in ${path} is none of auth.tokens (add its entry: kvorum token prints it)`);
  if (!entry.roles.includes('monitor') && !entry.roles.includes('admin')) throw new KvorumError('bad_config', `${field}: token ${entry.name} needs the monitor role to read peers' status`);
  return token;
}
