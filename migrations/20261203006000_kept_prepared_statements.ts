import type { Knex } from 'knex';

/**
 * PostgreSQL: the functions that keep the statements a group of steps prepares on the server
 * connection it runs on, from one transaction to the next (src/data-access/sql/pg-step-forms.ts).
 *
 * du_ensure_prepared(names, texts, most) prepares, on the current server connection, each name
 * not prepared there yet. Called in the first statement of a group's transaction, so a
 * transaction-mode pooler that sends the transaction to another server connection gets the
 * statements prepared there, before the EXECUTEs of the same message need them. The names are
 * a hash of their text: the same name is the same statement, whichever build prepared it.
 * Its fast path reads one session setting (du.prepared: the names this session is known to
 * have prepared), set with the session's lifetime; a setting rolled back with a transaction,
 * or cleared by RESET ALL, only sends it to pg_prepared_statements, which is the truth (PREPARE
 * is not undone by ROLLBACK; DISCARD ALL clears both). Past `most` statements of the service
 * on the connection, its own are deallocated and it starts again. A PREPARE refused is raised
 * again with its code and the detail `du_form <n>` (its place in `names`, from 1).
 *
 * du_forget_prepared() deallocates the service's statements on the connection and clears the
 * setting: after a statement's result type changed under it (a table altered).
 */
const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw(`
    CREATE OR REPLACE FUNCTION du_forget_prepared() RETURNS void LANGUAGE plpgsql AS $fn$
    DECLARE
      kept text;
    BEGIN
      FOR kept IN SELECT name FROM pg_prepared_statements WHERE name LIKE 'du\\_f\\_%' LOOP
        EXECUTE format('DEALLOCATE %I', kept);
      END LOOP;
      PERFORM set_config('du.prepared', '', false);
    END
    $fn$`);
  await knex.raw(`
    CREATE OR REPLACE FUNCTION du_ensure_prepared(p_names text[], p_texts text[], p_most integer)
    RETURNS void LANGUAGE plpgsql AS $fn$
    DECLARE
      marker text := coalesce(current_setting('du.prepared', true), '');
      known text := marker;
      i integer;
      kept integer;
    BEGIN
      FOR i IN 1 .. coalesce(array_length(p_names, 1), 0) LOOP
        CONTINUE WHEN strpos(known, ',' || p_names[i] || ',') > 0;
        IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = p_names[i]) THEN
          SELECT count(*) INTO kept FROM pg_prepared_statements WHERE name LIKE 'du\\_f\\_%';
          IF kept >= p_most THEN
            PERFORM du_forget_prepared();
            known := '';
          END IF;
          BEGIN
            EXECUTE format('PREPARE %I AS %s', p_names[i], p_texts[i]);
          EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM,
              DETAIL = 'du_form ' || i;
          END;
        END IF;
        known := CASE WHEN known = '' THEN ',' ELSE known END || p_names[i] || ',';
      END LOOP;
      IF known IS DISTINCT FROM marker THEN
        PERFORM set_config('du.prepared', known, false);
      END IF;
    END
    $fn$`);
}

export async function down(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw('DROP FUNCTION IF EXISTS du_ensure_prepared(text[], text[], integer)');
  await knex.raw('DROP FUNCTION IF EXISTS du_forget_prepared()');
}
