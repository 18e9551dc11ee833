import { openDatabase, type Database, type DatabaseOptions } from './database.js';

/**
 * Decides whether a read may go to a read replica (a streaming standby, DATABASE_READ_URL):
 * only while the standby is known to hold everything the primary had written at most
 * `maxLagMs` ago. Every `probeMs` the primary's WAL position and the standby's replay position
 * are sampled; the standby's staleness is the age of the newest primary sample it has replayed.
 * A failed probe, or no probe yet, sends reads to the primary.
 */
export interface ReadReplicaOptions {
  maxLagMs: number;
  probeMs?: number;
}

interface Sample {
  at: number;
  lsn: bigint;
}

/** `16/B374D848` → a number that orders like the WAL position. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) throw new Error(`not a WAL position: ${text.slice(0, 40)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export class ReadReplica {
  private readonly probeMs: number;
  private samples: Sample[] = [];
  /** When the standby was last known to have replayed a primary sample (epoch ms), or null. */
  private caughtUpTo: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;

  constructor(
    private readonly primary: Database,
    readonly database: Database,
    private readonly options: ReadReplicaOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.probeMs = options.probeMs ?? 200;
  }

  /** Starts the periodic probe (it does not keep the process alive). */
  start(): this {
    if (!this.timer && !this.closed) {
      void this.probe();
      this.timer = setInterval(() => void this.probe(), this.probeMs);
      this.timer.unref();
    }
    return this;
  }

  /** How far behind the primary the standby may be now (ms), or null when unknown. */
  staleness(): number | null {
    return this.caughtUpTo === null ? null : Math.max(0, this.now() - this.caughtUpTo);
  }

  /** Whether a read may be served by the standby now. */
  usable(): boolean {
    const lag = this.staleness();
    return lag !== null && lag <= this.options.maxLagMs;
  }

  /** A read on the standby failed for want of it: primary until a probe finds it again. */
  markUnreachable(): void {
    this.caughtUpTo = null;
  }

  /** One sample: the primary's position, then what the standby has replayed. */
  async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    try {
      const at = this.now();
      const primary = await this.primary.knex.raw<{
        rows: Array<{ lsn: string; started: string }>;
      }>(
        'SELECT pg_current_wal_lsn()::text AS lsn, extract(epoch FROM pg_postmaster_start_time())::text AS started',
      );
      const primaryRow = primary.rows[0]!;
      this.samples.push({ at, lsn: parseLsn(primaryRow.lsn) });
      const standby = await this.database.knex.raw<{
        rows: Array<{ recovering: boolean; lsn: string | null; started: string }>;
      }>(
        'SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn()::text AS lsn, extract(epoch FROM pg_postmaster_start_time())::text AS started',
      );
      const row = standby.rows[0]!;
      if (!row.recovering) {
        // Out of recovery, it replays nothing more. It holds everything only when it is the
        // primary itself (after a failover both URLs reach the promoted server, or the primary
        // was named as a replica: the same server, started at the same instant). Another
        // server is a standby promoted beside a primary still writing, or an old primary
        // restarted as one: what it holds stopped at its promotion, however recent it looks.
        this.caughtUpTo = row.started === primaryRow.started ? at : null;
        this.samples = [];
        return;
      }
      const replayed = row.lsn === null ? -1n : parseLsn(row.lsn);
      let newest: Sample | undefined;
      while (this.samples.length > 0 && this.samples[0]!.lsn <= replayed)
        newest = this.samples.shift();
      if (newest) this.caughtUpTo = Math.max(this.caughtUpTo ?? 0, newest.at);
      // Bounded memory when the standby stops replaying: old samples no longer matter once
      // they are older than the staleness any read would accept.
      const horizon = at - this.options.maxLagMs - this.probeMs;
      while (this.samples.length > 1 && this.samples[1]!.at < horizon) this.samples.shift();
    } catch {
      this.caughtUpTo = null;
      this.samples = [];
    } finally {
      this.probing = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.database.close();
  }
}

/**
 * The standby that read-only operations may use (DATABASE_READ_URL), probing its lag; none
 * when it is not set.
 */
export function openReadReplica(
  primary: Database,
  options: DatabaseOptions & { databaseReadUrl: string; databaseReadMaxLagMs: number },
  onConnectionLost: (message: string) => void,
): ReadReplica | undefined {
  if (!options.databaseReadUrl) return undefined;
  const database = openDatabase({
    ...options,
    databaseUrl: options.databaseReadUrl,
    onConnectionLost,
  });
  return new ReadReplica(primary, database, { maxLagMs: options.databaseReadMaxLagMs }).start();
}
