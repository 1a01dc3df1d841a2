/**
 * Sums the allocation profiles scripts/alloc-sample.mjs wrote (one per node) by allocating
 * function, and for the engine's own allocators (`Set`, `slice`, `subarray`, …) by their caller:
 *
 *   node --import tsx scripts/alloc-summary.ts [dir=/tmp/kvorum-alloc] [rows=30]
 *
 * Divide the bytes by the cell's operations in the sampled seconds for bytes per operation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children?: readonly ProfileNode[];
}

const dir = process.argv[2] ?? '/tmp/kvorum-alloc';
const rows = Number(process.argv[3] ?? 30);
const bySite = new Map<string, number>();
let totalBytes = 0;
let sampledMs = 0;

function siteOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(dist|node_modules)\//, '');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** A builtin (no file) is charged to the function that called it, which says more. */
function walk(node: ProfileNode, caller: string): void {
  const site = node.callFrame.url === '' && caller !== '' ? `${siteOf(node)} ← ${caller}` : siteOf(node);
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  totalBytes += node.selfSize;
  for (const child of node.children ?? []) walk(child, node.callFrame.url === '' ? caller : siteOf(node));
}

const files = readdirSync(dir).filter((name) => name.endsWith('.heapprofile'));
for (const name of files) {
  const { sampledMs: ms, profile } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { sampledMs: number; profile: { head: ProfileNode } };
  sampledMs = ms;
  walk(profile.head, '');
}
console.log(`${files.length} profiles, ${(totalBytes / 1e6).toFixed(1)} MB allocated in ${sampledMs / 1000} s each`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
  console.log(`${((100 * bytes) / totalBytes).toFixed(2).padStart(6)} %  ${(bytes / 1e6).toFixed(1).padStart(7)} MB  ${site}`);
}
