import type { Knex } from 'knex';
import pg from 'pg';

/**
 * Watches what pg's clients are given to send: one entry per query or submittable, each a
 * message to the server and a round trip. The text is the query's (a submittable's own text
 * when it has one). `restore` puts pg back as it was.
 */
export function watchPgMessages(): { texts: string[]; restore(): void } {
  const texts: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    texts.push(typeof config === 'string' ? config : (config.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return { texts, restore: () => (pg.Client.prototype.query = original) };
}

/** The messages sent to PostgreSQL while `run` runs. */
export async function pgMessagesWhile(run: () => Promise<unknown>): Promise<string[]> {
  const watch = watchPgMessages();
  try {
    await run();
  } finally {
    watch.restore();
  }
  return watch.texts;
}

/** Whether the pool's next statement runs outside any transaction (PostgreSQL). */
export async function outsideTransaction(knex: Knex): Promise<boolean> {
  const result = (await knex.raw('SELECT now() = statement_timestamp() AS fresh')) as {
    rows: Array<{ fresh: boolean }>;
  };
  return result.rows[0]!.fresh;
}
