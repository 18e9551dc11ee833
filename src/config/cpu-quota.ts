import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the process's cgroup files are (a container sees its own cgroup there). */
export const CGROUP_ROOT = '/sys/fs/cgroup';

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** CPUs of a quota over a period, rounded up; null when either is not a positive number. */
function cpusOf(quota: string, period: string): number | null {
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return null;
  return Math.ceil(q / p);
}

/**
 * The CPUs the cgroup's quota lets this process use, rounded up (`docker run --cpus=1.5`: 2);
 * null when there is no quota or it cannot be read. cgroup v2: `cpu.max` ("150000 100000", or
 * "max 100000" for none); v1: `cpu/cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`.
 */
export function cgroupCpuLimit(root: string = CGROUP_ROOT): number | null {
  const max = read(path.join(root, 'cpu.max'));
  if (max !== null) {
    const [quota = '', period = ''] = max.split(/\s+/);
    return quota === 'max' ? null : cpusOf(quota, period);
  }
  for (const dir of [path.join(root, 'cpu'), path.join(root, 'cpu,cpuacct'), root]) {
    const quota = read(path.join(dir, 'cpu.cfs_quota_us'));
    const period = read(path.join(dir, 'cpu.cfs_period_us'));
    if (quota !== null && period !== null) return cpusOf(quota, period);
  }
  return null;
}

/**
 * The CPUs this process may use: the cores node reports (os.availableParallelism(), which
 * follows the CPU affinity but not the cgroup's quota), at most the quota, at least 1.
 */
export function usableCpus(root: string = CGROUP_ROOT): number {
  const cores = os.availableParallelism();
  const limit = cgroupCpuLimit(root);
  return Math.max(1, limit === null ? cores : Math.min(cores, limit));
}
