/** At most `limit` holders at a time; the others wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be 1 or more');
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /**
   * A slot now, or null when none is free (never one a waiter is owed): for work that is
   * better refused at once than queued. The function returned gives the slot back.
   */
  tryAcquire(): (() => void) | null {
    if (this.active >= this.limit) return null;
    this.active++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.release();
    };
  }

  private release(): void {
    // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
