/**
 * Sums V8 CPU profiles (`node --cpu-prof`) by function and by source file / package: self time,
 * and time inclusive of what a function called, optionally within a window of each profile's
 * last seconds. bench/profile-summary.ts prints it.
 */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Seconds before a profile's end: samples from `fromEndS` to `toEndS` before it are kept. */
export interface SampleWindow {
  readonly fromEndS: number;
  readonly toEndS: number;
}

export interface ProfileSummary {
  readonly selfByFunction: Map<string, number>;
  readonly selfByOwner: Map<string, number>;
  readonly inclusiveByFunction: Map<string, number>;
  readonly totalMicros: number;
}

/** Samples that are not work: waiting in the event loop, and V8's own bookkeeping. */
const notWork = new Set(['(idle)', '(program)']);

/** `node_modules/<pkg>` for dependencies, the repo-relative path for our code, `(node)` for built-ins. */
function ownerOf(url: string): string {
  if (!url) return '(native / gc / idle)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return `npm:${dependency[1]}`;
  if (url.startsWith('node:')) return url;
  const ours = /\/(src|bench|bin|dist)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

function addTo(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

/**
 * Sums the profiles' samples, each counted for the time until the next one (as Chrome's
 * DevTools does), within `window` if one is given.
 */
export function summarize(profiles: readonly CpuProfile[], window?: SampleWindow): ProfileSummary {
  const selfByFunction = new Map<string, number>();
  const selfByOwner = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  let totalMicros = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parentOf = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
    const nameOf = (node: ProfileNode): string => `${node.callFrame.functionName || '(anonymous)'}  ${ownerOf(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const fromUs = window === undefined ? -Infinity : profile.endTime - window.fromEndS * 1e6;
    const toUs = window === undefined ? Infinity : profile.endTime - window.toEndS * 1e6;
    let atUs = profile.startTime;
    profile.samples.forEach((id, i) => {
      atUs += profile.timeDeltas[i] ?? 0;
      const micros = profile.timeDeltas[i + 1] ?? 0;
      const node = nodes.get(id);
      if (node === undefined || notWork.has(node.callFrame.functionName) || atUs < fromUs || atUs > toUs) return;
      totalMicros += micros;
      addTo(selfByFunction, nameOf(node), micros);
      addTo(selfByOwner, ownerOf(node.callFrame.url), micros);
      // Each function once per sample, however deep it recurs.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
        const name = nameOf(nodes.get(at)!);
        if (seen.has(name)) continue;
        seen.add(name);
        addTo(inclusiveByFunction, name, micros);
      }
    });
  }
  return { selfByFunction, selfByOwner, inclusiveByFunction, totalMicros };
}
