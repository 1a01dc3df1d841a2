/**
 * A dependency-free SVG chart of a run: one row per workload, two panels per row — ops/s and p99
 * latency — with bars grouped by concurrency and one colour per system/driver. Linear axes from
 * zero, so bar lengths compare honestly; every bar is labelled with its value.
 */
import type { BenchResult, RunResult } from '../result.ts';
import { workloads, type WorkloadName } from '../ycsb/workloads.ts';

const panelWidthPx = 560;
const panelHeightPx = 230;
const plotLeftPx = 62;
const plotRightPx = 12;
const plotTopPx = 34;
const plotBottomPx = 34;
const legendRowHeightPx = 20;
const legendItemWidthPx = 170;
const titleHeightPx = 34;
const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

interface Metric {
  readonly title: string;
  readonly value: (run: RunResult) => number;
  readonly label: (x: number) => string;
}

const metrics: readonly Metric[] = [
  { title: 'throughput, ops/s (higher is better)', value: (r) => r.opsPerSec, label: compact },
  { title: 'p99 latency, ms (lower is better)', value: (r) => r.latency.p99Ms, label: (x) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)) },
];

function compact(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e4) return `${Math.round(x / 1e3)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round axis maximum (1, 2 or 5 × 10^k) at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(max)));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

function panel(runs: readonly RunResult[], metric: Metric, targets: readonly string[], concurrencies: readonly number[], x0: number, y0: number): string[] {
  const plotWidth = panelWidthPx - plotLeftPx - plotRightPx;
  const plotHeight = panelHeightPx - plotTopPx - plotBottomPx;
  const axisMax = niceMax(Math.max(0, ...runs.map(metric.value)));
  const y = (v: number): number => y0 + plotTopPx + plotHeight * (1 - v / axisMax);
  const out: string[] = [`<text x="${x0 + plotLeftPx}" y="${y0 + 18}" class="panel">${escapeXml(metric.title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (axisMax * i) / 4;
    out.push(`<line x1="${x0 + plotLeftPx}" x2="${x0 + plotLeftPx + plotWidth}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`);
    out.push(`<text x="${x0 + plotLeftPx - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${metric.label(v)}</text>`);
  }
  const groupWidth = plotWidth / Math.max(1, concurrencies.length);
  const barWidth = (groupWidth * 0.84) / Math.max(1, targets.length);
  concurrencies.forEach((c, gi) => {
    const gx = x0 + plotLeftPx + gi * groupWidth + groupWidth * 0.08;
    out.push(`<text x="${gx + (groupWidth * 0.84) / 2}" y="${y0 + panelHeightPx - 12}" class="tick" text-anchor="middle">C=${c}</text>`);
    targets.forEach((target, ti) => {
      const run = runs.find((r) => r.concurrency === c && r.target === target);
      if (!run) return;
      const v = metric.value(run);
      const bx = gx + ti * barWidth;
      const top = y(v);
      const height = Math.max(0.5, y(0) - top);
      out.push(`<rect x="${bx.toFixed(1)}" y="${(y(0) - height).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${height.toFixed(1)}" fill="${palette[ti % palette.length]}"><title>${escapeXml(`${target} C=${c}: ${metric.label(v)}`)}</title></rect>`);
      out.push(`<text x="${(bx + (barWidth - 2) / 2).toFixed(1)}" y="${(y(0) - height - 3).toFixed(1)}" class="value" text-anchor="middle">${metric.label(v)}</text>`);
    });
  });
  out.push(`<line x1="${x0 + plotLeftPx}" x2="${x0 + plotLeftPx + plotWidth}" y1="${y(0)}" y2="${y(0)}" class="axis"/>`);
  return out;
}

export function renderSvg(result: BenchResult): string {
  // With several rounds, one bar per cell: its median (report/rounds.ts).
  const shown = result.medians ?? result.runs;
  const targets = [...new Set(shown.map((r) => r.target))];
  const concurrencies = [...new Set(shown.map((r) => r.concurrency))].sort((a, b) => a - b);
  const rows = result.options.workloads.filter((w) => shown.some((r) => r.workload === w));
  const width = panelWidthPx * metrics.length;
  const legendPerRow = Math.max(1, Math.floor((width - 12) / legendItemWidthPx));
  const legendHeightPx = 12 + Math.ceil(Math.max(1, targets.length) / legendPerRow) * legendRowHeightPx;
  const height = titleHeightPx + legendHeightPx + rows.length * (panelHeightPx + 24);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    '<style>.title{font-size:16px;font-weight:600}.row{font-size:13px;font-weight:600}.panel{font-size:11px;fill:#444}.tick{font-size:10px;fill:#555}.value{font-size:8.5px;fill:#222}.grid{stroke:#e5e5e5}.axis{stroke:#888}.legend{font-size:11px}</style>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="12" y="22" class="title">${escapeXml(result.title)} — ${escapeXml(result.startedAt)}</text>`,
  ];
  targets.forEach((target, i) => {
    const lx = 12 + (i % legendPerRow) * legendItemWidthPx;
    const ly = titleHeightPx + 8 + Math.floor(i / legendPerRow) * legendRowHeightPx;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${palette[i % palette.length]}"/>`);
    out.push(`<text x="${lx + 17}" y="${ly + 10}" class="legend">${escapeXml(target)}</text>`);
  });
  rows.forEach((name: WorkloadName, ri) => {
    const y0 = titleHeightPx + legendHeightPx + ri * (panelHeightPx + 24);
    out.push(`<text x="12" y="${y0 + 12}" class="row">${escapeXml(workloads[name].title)}</text>`);
    const runs = shown.filter((r) => r.workload === name);
    metrics.forEach((metric, mi) => out.push(...panel(runs, metric, targets, concurrencies, mi * panelWidthPx, y0 + 8)));
  });
  out.push('</svg>');
  return out.join('\n');
}
