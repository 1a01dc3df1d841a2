/** Writes a run's JSON, Markdown and SVG side by side under the results directory. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BenchResult } from '../result.ts';
import { renderMarkdown } from './markdown.ts';
import { renderSvg } from './svg.ts';

export interface WrittenFiles {
  readonly json: string;
  readonly markdown: string;
  readonly svg: string;
}

/** 2026-11-22T05-31-07Z: sortable, and legal in every file system. */
export function timestampForFile(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export function writeResult(result: BenchResult, outDir: string, prefix: string): WrittenFiles {
  mkdirSync(outDir, { recursive: true });
  const stem = join(outDir, `${prefix}${timestampForFile(result.startedAt)}`);
  const files = { json: `${stem}.json`, markdown: `${stem}.md`, svg: `${stem}.svg` };
  writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(files.svg, renderSvg(result));
  writeFileSync(files.markdown, `${renderMarkdown(result, basename(files.svg))}\n`);
  return files;
}
