/** A count kept in a fixed window of time: when the window started, what it counted so far. */
export interface FixedWindow {
  start: number;
  count: number;
}

/**
 * Fixed windows by key (a client address, a SOAP user), remembering at most `max` keys. Ended
 * windows, then the oldest beyond `max`, are forgotten in the order they started, from a queue
 * kept beside the map: a flood of new keys (one client address after another) costs each key the
 * same however many are remembered. Walking the map for ended windows at each new key, as the
 * rate limits of `/u/` did, cost every new address a walk over all the others.
 */
export class FixedWindows {
  private readonly windows = new Map<string, FixedWindow>();
  // An entry whose window was replaced or dropped since is skipped.
  private readonly started: Array<[string, FixedWindow]> = [];
  private head = 0;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** Keys remembered now. */
  get size(): number {
    return this.windows.size;
  }

  /** The key's window, ended or not; undefined when none is remembered. */
  get(key: string): FixedWindow | undefined {
    return this.windows.get(key);
  }

  delete(key: string): void {
    this.windows.delete(key);
  }

  /** The key's window at `now`: the one it is in, or a new one (count 0) once that has ended. */
  current(key: string, now: number): FixedWindow {
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) return w;
    const fresh = { start: now, count: 0 };
    this.windows.set(key, fresh);
    this.started.push([key, fresh]);
    this.forget(now);
    return fresh;
  }

  /** Drops ended windows, then the oldest while more keys are remembered than allowed. */
  private forget(now: number): void {
    while (this.head < this.started.length) {
      const [key, w] = this.started[this.head]!;
      const current = this.windows.get(key) === w;
      if (current && now - w.start < this.windowMs && this.windows.size <= this.max) break;
      if (current) this.windows.delete(key);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.started.length) {
      this.started.splice(0, this.head);
      this.head = 0;
    }
  }
}
