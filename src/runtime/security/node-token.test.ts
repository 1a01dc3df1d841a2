/**
 * The node token (node-token.ts): read from auth.nodeTokenFile at start, and refused there when
 * the cluster's peers would refuse it — not one of auth.tokens, or without the monitor role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvorumError } from '../../core/errors.ts';
import { newToken, tokenSha256 } from './client-auth.ts';
import { parseSecuritySettings } from './security-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvorum-node-token-'));
const nodeToken = newToken();
writeFileSync(join(dir, 'node-token'), `${nodeToken}\n`, { mode: 0o600 });

function parse(roles: readonly string[], auth: Record<string, unknown> = {}) {
  const tokens = [
    { name: 'ops', sha256: tokenSha256(newToken()), roles: ['admin'] },
    { name: 'nodes', sha256: tokenSha256(nodeToken), roles },
  ];
  return parseSecuritySettings({ auth: { tokens, nodeTokenFile: 'node-token', ...auth } }, undefined, {}, dir);
}

const refused = (pattern: RegExp) => (error: unknown) => error instanceof KvorumError && error.code === 'bad_config' && pattern.test(error.message);

test('the node token is read from auth.nodeTokenFile, relative to the config file', () => {
  assert.equal(parse(['monitor']).nodeToken, nodeToken);
  assert.equal(parse(['admin']).nodeToken, nodeToken);
  assert.equal(parseSecuritySettings({ auth: { tokens: [] } }, undefined, {}, dir).nodeToken, undefined);
});

test('a node token its peers would refuse stops the node at start', () => {
  assert.throws(() => parse(['read']), refused(/nodeTokenFile: token nodes needs the monitor role/));
  assert.throws(() => parse(['monitor'], { tokens: [{ name: 'ops', sha256: tokenSha256(newToken()), roles: ['admin'] }] }), refused(/is none of auth.tokens/));
  assert.throws(() => parse(['monitor'], { nodeTokenFile: 'missing' }), refused(/cannot read missing/));
  writeFileSync(join(dir, 'two'), `${nodeToken} ${nodeToken}\n`);
  assert.throws(() => parse(['monitor'], { nodeTokenFile: 'two' }), refused(/does not hold one token/));
  assert.throws(() => parse(['monitor'], { nodeTokenFile: 7 }), refused(/expected a file path/));
  assert.throws(() => parse(['monitor'], { nodeToken: 'x' }), refused(/unknown field "nodeToken"/));
});
