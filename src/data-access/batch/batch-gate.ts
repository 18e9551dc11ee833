import type { BatchScope } from '../../domain/ports.js';

/**
 * Checked batches of one SQLite file in this process (batch-checked.ts): read outside the write
 * transaction, each one's write finds anything another wrote meanwhile to what it read, and is
 * then thrown away and done again under the lock: its rules ran twice. So a batch that shares
 * an address, an id or a foreign id with one in flight waits for that one to be written before
 * it reads (as under the lock it would have waited for it anyway); batches that share nothing
 * run side by side. What the gate cannot see (other writers, two batches creating people, the
 * address of a person named by id, before the batch read it) can still move a batch: after each such miss the next
 * MISS_PAUSE batches take the locked path straight away, so a run of misses costs little.
 */
export const MISS_PAUSE = 8;

interface InFlight {
  keys: Set<string>;
  ids: ReadonlySet<number>;
  foreignIds: ReadonlySet<string>;
  done: Promise<void>;
}

function shares(scope: BatchScope, other: InFlight): boolean {
  return (
    scope.emailKeys.some((k) => other.keys.has(k)) ||
    scope.ids.some((id) => other.ids.has(id)) ||
    scope.foreignIds.some((f) => other.foreignIds.has(f))
  );
}

export class BatchGate {
  private readonly inFlight = new Set<InFlight>();
  private paused = 0;

  /** False while paused after a miss (the batch takes the locked path); counts the batch. */
  mayTry(): boolean {
    if (this.paused === 0) return true;
    this.paused--;
    return false;
  }

  /** A batch's write found what it read moved. */
  missed(): void {
    this.paused = MISS_PAUSE;
  }

  /**
   * Waits until no batch in flight shares anything with `scope`, then counts it in flight
   * until `leave` is called (once, whatever happens to the batch). `read`: the addresses it
   * read besides the scope's (those of the people it names by id), shared from then on.
   */
  async enter(scope: BatchScope): Promise<{ read(keys: Iterable<string>): void; leave(): void }> {
    for (;;) {
      const blocking = [...this.inFlight].find((b) => shares(scope, b));
      if (!blocking) break;
      await blocking.done;
    }
    let leave!: () => void;
    const entry: InFlight = {
      keys: new Set(scope.emailKeys),
      ids: new Set(scope.ids),
      foreignIds: new Set(scope.foreignIds),
      done: new Promise<void>((resolve) => (leave = resolve)),
    };
    this.inFlight.add(entry);
    return {
      read: (keys) => {
        for (const k of keys) entry.keys.add(k);
      },
      leave: () => {
        this.inFlight.delete(entry);
        leave();
      },
    };
  }
}
