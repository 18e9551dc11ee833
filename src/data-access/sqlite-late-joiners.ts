/**
 * The units that join a SQLite group of final steps after it has started, until its COMMIT is
 * posted (sqlite-group-writer.ts): while the COMMIT ahead of the group is in its fsync, the
 * writer thread cannot run them anyway, and joining they share the group's fsync instead of
 * waiting for it and then paying for one more.
 */
export class LateJoiners<U> {
  private waiting: U[] = [];
  private closed = false;
  private flushQueued = false;
  private post: ((units: U[]) => Promise<void>) | null = null;
  private posting: Promise<void> = Promise.resolve();

  /** `taken`: the units the group holds already; `limit`: the most it may hold. */
  constructor(
    private readonly taken: () => number,
    private readonly limit: number,
  ) {}

  hasRoom(): boolean {
    return !this.closed && this.taken() + this.waiting.length < this.limit;
  }

  take(unit: U): void {
    this.waiting.push(unit);
    this.schedule();
  }

  /**
   * The group's own steps are posted: from now on the units taken are handed to `post`, a turn
   * of the event loop's worth at a time (one message to the thread for them all), in order.
   */
  startPosting(post: (units: U[]) => Promise<void>): void {
    this.post = post;
    this.schedule();
  }

  /** No unit joins any more; settles once every unit taken is posted. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await this.posting;
  }

  /** Closed without posting (the group broke off): the units taken and not handed to `post`. */
  abandon(): U[] {
    this.closed = true;
    const left = this.waiting;
    this.waiting = [];
    return left;
  }

  private schedule(): void {
    if (!this.post || this.flushQueued || this.waiting.length === 0) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    const post = this.post;
    if (!post || this.waiting.length === 0) return;
    const units = this.waiting;
    this.waiting = [];
    this.posting = this.posting.then(() => post(units));
  }
}

let lateJoining = true;

/**
 * For measurement only (bench/group-gather-ab.ts): false closes a group of final steps when
 * it starts and hands the file on once its steps are answered, as before late joiners.
 */
export function joinLate(on: boolean): void {
  lateJoining = on;
}

/** Whether groups of final steps take in late units (always, but under joinLate(false)). */
export function lateJoiningOn(): boolean {
  return lateJoining;
}
