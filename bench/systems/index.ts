/** The systems `--systems` can name. */
import { join } from 'node:path';
import { KvorumError } from '../../src/core/errors.ts';
import type { SystemLauncher } from './adapter.ts';
import { etcdLauncher } from './etcd.ts';
import { floorLauncher } from './floor.ts';
import { defaultKvorumLaunch, kvorumLauncher } from './kvorum.ts';
import { benchNodeFlags } from './processes.ts';
import { redisLauncher } from './redis.ts';

export const systemNames = ['kvorum', 'redis', 'etcd', 'floor'] as const;
export type SystemName = (typeof systemNames)[number];

export interface LauncherOptions {
  /** Write a V8 CPU profile of each kvorum node here (node --cpu-prof). */
  readonly cpuProfileDir?: string | undefined;
  /** kvorum node processes (default 3). */
  readonly kvorumNodes?: number | undefined;
}

export function launcherByName(name: string, options: LauncherOptions = {}): SystemLauncher {
  switch (name) {
    case 'kvorum':
      return kvorumLauncher({ ...defaultKvorumLaunch, nodeArgs: cpuProfileArgs(options.cpuProfileDir), nodes: options.kvorumNodes });
    case 'redis':
      return redisLauncher;
    case 'etcd':
      return etcdLauncher;
    case 'floor':
      // Profiled as kvorum's nodes are (the CPU ratio then carries the profiler on both sides),
      // into a directory of their own, so that a summary of kvorum's profiles holds only kvorum's.
      return floorLauncher(cpuProfileArgs(options.cpuProfileDir === undefined ? undefined : join(options.cpuProfileDir, 'floor')));
    default:
      throw new KvorumError('bad_config', `unknown system "${name}": expected one of ${systemNames.join(', ')}`);
  }
}

/** Systems that need Debian packages installed by bench/setup.sh. */
export function needsSetup(names: readonly string[]): boolean {
  return names.some((name) => name === 'redis' || name === 'etcd');
}

export function cpuProfileArgs(dir: string | undefined): string[] {
  return [...(dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : []), ...benchNodeFlags()];
}
