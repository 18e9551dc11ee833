import type { Knex } from 'knex';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork, type Repositories } from '../../src/data-access/unit-of-work.js';
import { signal } from './signal.js';

/**
 * While `run` runs, a write of the test holds what `take` took (row or address locks; on a
 * SQLite file the one writer). It ends after `run`: committed, or with `rollBack` rolled back.
 */
export async function whileWriteHeld(
  db: Database,
  take: (repos: Repositories) => Promise<unknown>,
  run: () => Promise<void>,
  options: { rollBack?: boolean } = {},
): Promise<void> {
  const { wait: held, fire: release } = signal();
  const { wait: taken, fire: locked } = signal();
  const write = new UnitOfWork(db).write(async (r) => {
    await take(r);
    locked();
    await held;
    if (options.rollBack) throw new Error('rolled back by the test');
  });
  const holder = options.rollBack ? write.catch(() => undefined) : write;
  await taken;
  try {
    await run();
  } finally {
    release();
    await holder;
  }
}

/**
 * While `run` runs, a transaction of the test holds a connection of `knex`'s pool (with a pool
 * of one: every connection busy, as under a load that takes them all).
 */
export async function whileConnectionHeld(knex: Knex, run: () => Promise<void>): Promise<void> {
  const { wait: held, fire: release } = signal();
  const holding = knex.transaction(async (trx) => {
    await trx.raw('SELECT 1');
    await held;
  });
  try {
    await run();
  } finally {
    release();
    await holding;
  }
}

/**
 * whileWriteHeld with the write holding `email`'s address lock, its status read under it: on
 * PostgreSQL the address's lock, on a SQLite file the one writer.
 */
export function whileAddressHeld(
  db: Database,
  email: string,
  run: () => Promise<void>,
): Promise<void> {
  return whileWriteHeld(
    db,
    async (r) => {
      await r.lockEmailKeys([email]);
      await r.emailStatus.get(email);
    },
    run,
  );
}
