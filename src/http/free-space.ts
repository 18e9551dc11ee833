import fs from 'node:fs';

/** How long one look at the volume's free space is kept (readiness and the metric share it). */
export const FREE_SPACE_MAX_AGE_MS = 5000;

const MIB = 1024 * 1024;

type StatFs = (dir: string) => Promise<{ bavail: number; bsize: number }>;

/**
 * The free space of the volume that holds the embedded database (DATA_DIR), against the floor
 * READY_MIN_FREE_MB sets: on a full volume every write fails, so the instance is not ready to
 * take any. One look (statfs) every FREE_SPACE_MAX_AGE_MS at most, whoever asks; never on a
 * call's path. A look that fails (the directory gone) says nothing: the database's own check
 * reports what is wrong then.
 */
export class FreeSpace {
  private last: { at: number; free: number | null } | null = null;
  private looking: Promise<number | null> | null = null;

  constructor(
    private readonly dir: string,
    private readonly floorMb: number,
    private readonly statfs: StatFs = (dir) => fs.promises.statfs(dir),
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs: number = FREE_SPACE_MAX_AGE_MS,
  ) {}

  /** The bytes free to this user on the volume, as last looked at (looking if that is old). */
  free(): Promise<number | null> {
    if (this.last !== null && this.now() - this.last.at < this.maxAgeMs)
      return Promise.resolve(this.last.free);
    if (this.looking !== null) return this.looking;
    const at = this.now();
    this.looking = this.statfs(this.dir).then(
      (s) => s.bavail * s.bsize,
      () => null,
    );
    return this.looking.then((free) => {
      this.last = { at, free };
      this.looking = null;
      return free;
    });
  }

  /** Why the instance is not ready for lack of space (a /readyz reason), or null. */
  async shortage(): Promise<string | null> {
    const free = await this.free();
    if (free === null || free >= this.floorMb * MIB) return null;
    return `the database volume has ${Math.floor(free / MIB)} MiB free, under READY_MIN_FREE_MB (${this.floorMb})`;
  }
}
