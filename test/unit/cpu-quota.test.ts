import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cgroupCpuLimit, usableCpus } from '../../src/config/cpu-quota.js';
import { defaultWorkers } from '../../src/config/listener.settings.js';

/**
 * WORKERS' default under a container's CPU quota: it was os.availableParallelism(), the host's
 * cores, so `docker run --cpus=1` on a 32-core host started 32 workers sharing one CPU.
 */
describe('the CPU quota of the cgroup (WORKERS default)', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const cores = os.availableParallelism();
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'du-cgroup-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('cgroup v2: cpu.max, rounded up; "max" is no quota', () => {
    write('cpu.max', '100000 100000\n');
    expect(cgroupCpuLimit(root)).to.equal(1);
    write('cpu.max', '150000 100000\n');
    expect(cgroupCpuLimit(root)).to.equal(2);
    write('cpu.max', '5000 100000\n');
    expect(cgroupCpuLimit(root)).to.equal(1);
    write('cpu.max', 'max 100000\n');
    expect(cgroupCpuLimit(root)).to.equal(null);
  });

  it('cgroup v1: cpu.cfs_quota_us over cpu.cfs_period_us; -1 is no quota', () => {
    write('cpu/cpu.cfs_period_us', '100000\n');
    write('cpu/cpu.cfs_quota_us', '250000\n');
    expect(cgroupCpuLimit(root)).to.equal(3);
    write('cpu/cpu.cfs_quota_us', '-1\n');
    expect(cgroupCpuLimit(root)).to.equal(null);
  });

  it('no file, or one that does not parse, is no quota', () => {
    expect(cgroupCpuLimit(root)).to.equal(null);
    write('cpu.max', 'garbage\n');
    expect(cgroupCpuLimit(root)).to.equal(null);
    expect(usableCpus(root)).to.equal(cores);
  });

  it('the PostgreSQL default is the cores, at most the quota, at least 1', () => {
    write('cpu.max', '100000 100000\n');
    expect(defaultWorkers('postgres', root)).to.equal(1);
    write('cpu.max', `${(cores + 8) * 100000} 100000\n`);
    expect(defaultWorkers('postgres', root)).to.equal(cores);
    write('cpu.max', 'max 100000\n');
    expect(defaultWorkers('postgres', root)).to.equal(cores);
    expect(defaultWorkers('sqlite', root)).to.equal(1);
  });
});
