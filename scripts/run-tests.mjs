#!/usr/bin/env node
// Runs every test file through node's test runner with tsx as the loader.
// Node 20's `node --test` expands no globs and, without a loader, silently runs zero `.ts`
// files — so this script lists the files itself and fails when it finds none.
//
//   node scripts/run-tests.mjs                 all tests
//   node scripts/run-tests.mjs --only unit     tests beside the code (src/**, bench/**)
//   node scripts/run-tests.mjs --only integration   tests that start real processes (test/**)
//   node scripts/run-tests.mjs path/a.test.ts  just these files
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found.sort();
}

const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args.splice(onlyIndex, 2)[1] : undefined;
const suites = [];
if (args.length > 0) {
  suites.push({ name: 'selected', files: args, concurrency: 1 });
} else {
  // Unit, property and simulation tests run in parallel; integration tests start real node
  // processes and run one file at a time so they do not starve each other of the two cores.
  if (only !== 'integration') suites.push({ name: 'unit', files: [...findTests(join(root, 'src')), ...findTests(join(root, 'bench'))], concurrency: 2 });
  if (only !== 'unit') suites.push({ name: 'integration', files: findTests(join(root, 'test')), concurrency: 1 });
}

let failed = false;
for (const suite of suites) {
  if (suite.files.length === 0) {
    console.error(`no ${suite.name} test files found`);
    process.exit(1);
  }
  console.log(`\n# ${suite.name}: ${suite.files.length} files`);
  const result = spawnSync(
    process.execPath,
    // A test that hangs fails after 10 minutes instead of holding CI until its own limit.
    ['--import', 'tsx', '--test', `--test-concurrency=${suite.concurrency}`, '--test-timeout=600000', ...suite.files],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
