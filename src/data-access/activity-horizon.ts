/**
 * PostgreSQL: how far the change stream (getLeadChanges) may read without passing an activity
 * id that a transaction still in flight holds.
 *
 * Activity ids come from a sequence, and transactions commit in any order: A takes id 100,
 * B takes 101 and commits first. A reader that served 101 and handed out a position past it
 * would never read 100, committed later: a legacy integration mirroring opt-outs from the
 * stream would miss one. (SQLite has one writer: ids follow commits there.)
 *
 * Every write transaction starts (in the message that carries its BEGIN, pg-client.ts) by
 * taking a shared transaction-level advisory lock whose key is the activities' sequence value
 * at that moment (a group of steps takes it just after making sure of its prepared statements,
 * as one of them: sql/pg-step-forms.ts; before any statement that takes an id), its floor:
 * every id the transaction takes afterwards lies above it, and the lock is released only once
 * the transaction's commit (or rollback) is visible. A reader reads the sequence's value
 * first, then the floors of the locks held at that moment: every id at or below the lower of
 * the two was taken by a transaction that has ended, or lies above the floor of one that has
 * not. The stream serves ids up to that point only; rows
 * above it are served at a later call, once the writers below them have ended.
 *
 * The writer's cost is one statement in the message its BEGIN already goes in (no round trip,
 * no wait: writers only take the lock shared, nobody takes it exclusive). The reader's is one
 * statement over pg_locks. The lock is of the two-key form, whose keys are 32-bit: the floor
 * (a bigint) is split into its low 31 bits, the second key, and the rest, added to a class no
 * other lock of the service uses (address locks take one bigint key) to make the first. A
 * floor below 2^31 keeps the class itself, as the versions before bigint ids locked it.
 */
export const ACTIVITY_WRITER_LOCK_CLASS = 1_862_540_073;

/** The floors' range: classes up to the class + 2^20 (floors below 2^51). */
const CLASS_SPAN = 1_048_576;

/** The activities' sequence value (0 before its first id): what a new id lies above. */
export const SEQUENCE_VALUE = `coalesce(pg_sequence_last_value(to_regclass('activities_id_seq')), 0)`;

/**
 * The statement every write transaction begins with. Before the migrations created the
 * sequence it locks floor 0 (to_regclass gives null).
 */
export const WRITER_FLOOR_LOCK =
  'SELECT pg_advisory_xact_lock_shared(k.c, k.o) FROM (SELECT ' +
  `${ACTIVITY_WRITER_LOCK_CLASS} + (s.v >> 31)::int, (s.v & 2147483647)::int ` +
  `FROM (SELECT ${SEQUENCE_VALUE} AS v) s) AS k(c, o)`;

/**
 * The highest id up to which every activity id is settled (committed, rolled back or never
 * taken). The sequence is read first (the materialized CTE, which the correlated subquery
 * needs), the locks after: a writer that took an id at or below the value read had taken its
 * lock before, and holds it until it has ended. Rows must be read by a later statement (its
 * snapshot taken after this one's locks were read).
 */
export const SETTLED_ACTIVITY_ID = `WITH l AS MATERIALIZED (SELECT ${SEQUENCE_VALUE} AS v)
  SELECT least(l.v, (
    SELECT min(k.floor) FROM (
      SELECT ((c.classid::bigint - ${ACTIVITY_WRITER_LOCK_CLASS}) << 31) + c.objid::bigint AS floor
      FROM pg_locks c
      WHERE c.locktype = 'advisory' AND c.objsubid = 2
        AND c.classid::bigint BETWEEN ${ACTIVITY_WRITER_LOCK_CLASS}
          AND ${ACTIVITY_WRITER_LOCK_CLASS + CLASS_SPAN - 1}
        AND c.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
    ) k WHERE k.floor <= l.v
  )) AS h FROM l`;

/** The floor locks of the write transactions in flight, but the reader's own. */
const WRITER_LOCKS = `FROM pg_locks c
  WHERE c.locktype = 'advisory' AND c.objsubid = 2
    AND c.classid::bigint BETWEEN ${ACTIVITY_WRITER_LOCK_CLASS}
      AND ${ACTIVITY_WRITER_LOCK_CLASS + CLASS_SPAN - 1}
    AND c.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
    AND c.pid <> pg_backend_pid()`;

/** The write transactions in flight now (every one holds its floor lock from its BEGIN). */
export const WRITERS_IN_FLIGHT = `SELECT DISTINCT c.virtualtransaction AS v ${WRITER_LOCKS}`;

/** How many of the transactions `?` (an array of virtual transaction ids) are still in flight. */
export const WRITERS_STILL_IN_FLIGHT = `SELECT count(DISTINCT c.virtualtransaction) AS n
  ${WRITER_LOCKS} AND c.virtualtransaction = ANY(?::text[])`;
