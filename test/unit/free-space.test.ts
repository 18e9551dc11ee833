import { expect } from 'chai';
import { FreeSpace } from '../../src/http/free-space.js';

const MIB = 1024 * 1024;

/** A FreeSpace over a volume and a clock moved by hand, counting its looks. */
function harness(floorMb: number) {
  const volume = { freeMb: 100, fails: false, looks: 0 };
  const clock = { now: 1000 };
  const space = new FreeSpace(
    '/data',
    floorMb,
    async () => {
      volume.looks++;
      if (volume.fails) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
      return { bavail: (volume.freeMb * MIB) / 4096, bsize: 4096 };
    },
    () => clock.now,
    5000,
  );
  return { volume, clock, space };
}

describe('FreeSpace', () => {
  it('says nothing above the floor, and why under it', async () => {
    const { volume, clock, space } = harness(64);
    expect(await space.shortage()).to.equal(null);
    volume.freeMb = 10;
    clock.now += 5000;
    expect(await space.shortage()).to.equal(
      'the database volume has 10 MiB free, under READY_MIN_FREE_MB (64)',
    );
  });

  it('looks once per 5 s at most, whoever asks, and shares a look under way', async () => {
    const { volume, clock, space } = harness(64);
    await Promise.all(Array.from({ length: 20 }, () => space.free()));
    expect(volume.looks).to.equal(1);
    volume.freeMb = 1;
    clock.now += 4999;
    expect(await space.free()).to.equal(100 * MIB);
    expect(volume.looks).to.equal(1);
    clock.now += 1;
    expect(await space.free()).to.equal(1 * MIB);
    expect(volume.looks).to.equal(2);
  });

  it('a look that fails says nothing (the database check reports what is wrong)', async () => {
    const { volume, space } = harness(64);
    volume.fails = true;
    expect(await space.free()).to.equal(null);
    expect(await space.shortage()).to.equal(null);
  });
});
