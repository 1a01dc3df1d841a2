/**
 * What a new user gets from a clean clone (issue 12 §5): `npm install` on Node 20 warns of no
 * package that wants a newer Node (EBADENGINE), and the package carries the license it declares.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean };

/** The Node 20 the lockfile must install on: eslint, a dev dependency, needs 20.19 or later. */
const node20 = '20.19.0';

test('every package in the lockfile takes Node 20 and the Node running the tests (no EBADENGINE)', () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const refusing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (range === undefined) continue;
    for (const version of [node20, process.version]) if (!semver.satisfies(version, range)) refusing.push(`${path || 'kvorum'} wants node ${range}, not ${version}`);
  }
  assert.deepEqual(refusing, []);
});

test('LICENSE is the Apache License 2.0 that package.json declares', () => {
  const { license } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string };
  assert.equal(license, 'Apache-2.0');
  const text = readFileSync(join(root, 'LICENSE'), 'utf8');
  assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(text, /END OF TERMS AND CONDITIONS/);
});
