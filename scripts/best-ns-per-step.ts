/**
 * What the microbenchmarks in scripts/ measure with: CPU time per step of a loop, best of a number
 * of passes (`process.cpuUsage`, this process's threads: on a shared box the least disturbed pass
 * is the closest to the code's own cost).
 */
export function bestNsPerStep(passes: number, steps: number, step: (i: number) => number): number {
  let best = Infinity;
  let sink = 0;
  for (let pass = 0; pass < passes; pass++) {
    const started = process.cpuUsage();
    for (let i = 0; i < steps; i++) sink += step(i);
    const used = process.cpuUsage(started);
    best = Math.min(best, ((used.user + used.system) * 1000) / steps);
  }
  if (sink === -1) console.log('unreachable'); // keeps the steps' results observable
  return best;
}
