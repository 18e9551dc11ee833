import type { Database } from '../../src/data-access/database.js';
import { withSlowWriterAnswers } from './writer-answers.js';

/**
 * Runs `run` with every COMMIT taking `ms` longer: on a SQLite file its answer crosses back
 * late (writer-answers.ts), on PostgreSQL a deferred trigger sleeps at COMMIT for each person
 * written.
 */
export async function slowCommits(
  db: Database,
  ms: number,
  run: () => Promise<void>,
): Promise<void> {
  if (db.engine !== 'postgres') {
    await withSlowWriterAnswers(ms, 'commits', run);
    return;
  }
  await db.knex.raw(
    `CREATE FUNCTION slow_commit() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(${ms / 1000}); RETURN NULL; END $$ LANGUAGE plpgsql`,
  );
  await db.knex.raw(
    `CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON leads
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`,
  );
  try {
    await run();
  } finally {
    await db.knex.raw('DROP TRIGGER slow_commit ON leads');
    await db.knex.raw('DROP FUNCTION slow_commit()');
  }
}
