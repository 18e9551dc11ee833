import pg from 'pg';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';

/**
 * PostgreSQL: `call` is made while another unit of `db` holds the lock of address `key`, so it
 * waits for it inside its transaction; meanwhile the server process matched by `victim` (a
 * condition on pg_stat_activity, its values `params`) is terminated. Returns what the call
 * failed with (null if it succeeded) and how many processes were terminated (0 or 1), once the
 * lock is released and its holder done.
 */
export async function killWhileWaitingForLock(
  db: Database,
  url: string,
  key: string,
  call: () => Promise<unknown>,
  victim: string,
  params: unknown[] = [],
): Promise<{ error: unknown; killed: number }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const lockTaken = new Promise<void>((resolve) => (locked = resolve));
  const holder = new UnitOfWork(db).write(async (r) => {
    await r.lockEmailKeys([key]);
    await r.emailStatus.get(key);
    locked();
    await held;
  });
  await lockTaken;
  const killer = new pg.Client({ connectionString: url });
  await killer.connect();
  try {
    const outcome = call().then(
      () => null,
      (e: unknown) => e,
    );
    let killed = 0;
    for (let i = 0; i < 200 && !killed; i++) {
      const r = await killer.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${victim}`,
        params,
      );
      killed = r.rowCount ?? 0;
      if (!killed) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { error: await outcome, killed };
  } finally {
    release();
    await holder;
    await killer.end();
  }
}
