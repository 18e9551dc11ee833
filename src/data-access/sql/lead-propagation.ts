import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import { addressLockId } from '../address-lock.js';
import type { EmailStatusRecord, PropagationActivity } from '../../domain/records.js';
import type { UnsubscribeOnceResult } from '../../domain/ports.js';
import {
  fixedSql,
  queueCalls,
  runCalls,
  runStatement,
  runUnless,
  type FixedSql,
  type StatementCall,
} from './statement.js';
import { STATUS_COLUMNS, SET_STATUS, statusBindings } from './email-status.repository.js';
import { propagationLog, type PropagationLog } from '../propagation-log.js';
import {
  changeActivityBindings,
  pgFollowersTail,
  PROPAGATION_COLUMNS,
  PROPAGATION_VALUES,
  sqliteFollowerStatements,
} from './propagation-statements.js';

/**
 * Rule 2's statements: every other person of an address follows its master status, each with
 * one Change Data Value activity, logged in the database's form (propagation-log.ts). Set-based,
 * whatever the number of people.
 */

/**
 * The SQL of the next change_seq value. PostgreSQL: a sequence; the writers of one address hold
 * its lock, so their values follow the order they wrote in. SQLite: one writer at a time, so the
 * highest value so far plus one (an index makes it a lookup).
 */
export function nextChangeSeqSql(engine: Engine): string {
  // A scalar subquery on both engines: a statement that changes many people (propagation)
  // gives them one value, the ties going to the highest id, whatever order rows are visited in.
  return engine === 'postgres'
    ? "(SELECT nextval('leads_change_seq'))"
    : '(SELECT coalesce(max(change_seq), 0) + 1 FROM leads)';
}

/** The followers of one address: its people whose flag disagrees, but the one given. */
const followersOf = (except: boolean) =>
  `email_key = ? AND unsubscribed = ?${except ? ' AND id <> ?' : ''}`;
const followerBindings = (key: string, unsubscribed: boolean, except: number | null) =>
  except === null ? [key, !unsubscribed] : [key, !unsubscribed, except];

/**
 * PostgreSQL, one round trip: the UPDATE hands the people it changed to the INSERT of their
 * activities, or of their follower rows and the propagation's event (the `followers` form).
 * `head` writes whatever comes first in the same statement (the master status).
 */
const pgPropagation = (head: string, where: string, form: PropagationLog) =>
  fixedSql(
    `WITH ${head}changed AS (
       UPDATE leads SET unsubscribed = ?, updated_at = ?, change_seq = ${nextChangeSeqSql('postgres')}
       WHERE ${where} RETURNING id
     )${
       form === 'followers'
         ? pgFollowersTail()
         : `
     INSERT INTO activities (${PROPAGATION_COLUMNS})
     SELECT id, ${PROPAGATION_VALUES} FROM changed ORDER BY id`
     }`,
  );

/** A statement per form and per follower condition (with the one excepted, or without). */
type ByForm<T> = Record<PropagationLog, readonly [T, T]>;
const byForm = <T>(make: (except: boolean, form: PropagationLog) => T): ByForm<T> => ({
  followers: [make(false, 'followers'), make(true, 'followers')],
  activities: [make(false, 'activities'), make(true, 'activities')],
});

// PostgreSQL: the master row, its history and the followers are distinct rows, so one
// statement may write them all.
const PG_STATUS_HEAD = `s AS (${SET_STATUS} RETURNING ${STATUS_COLUMNS}),
       h AS (INSERT INTO email_status_history (${STATUS_COLUMNS}) SELECT ${STATUS_COLUMNS} FROM s),
       `;
const PG_PROPAGATE = byForm((except, form) => pgPropagation('', followersOf(except), form));
const PG_SET_AND_PROPAGATE = byForm((except, form) =>
  pgPropagation(PG_STATUS_HEAD, followersOf(except), form),
);

/** What a statement before the people's UPDATE binds: the activity's values, the WHERE's. */
type Takes = 'values and where' | 'where' | 'nothing';

interface InStatements {
  /** The log, written while the flags still disagree. */
  log: ReadonlyArray<readonly [FixedSql, Takes]>;
  update: FixedSql;
}

/**
 * Without a data-modifying CTE (SQLite; many addresses at once on PostgreSQL's `activities`
 * form): the log first, while the flags still disagree, then the UPDATE. The caller holds the
 * addresses' locks, so every statement sees the same people.
 */
function inStatements(where: string, form: PropagationLog): InStatements {
  const update = (engine: Engine) =>
    `UPDATE leads SET unsubscribed = ?, updated_at = ?, change_seq = ${nextChangeSeqSql(engine)}
     WHERE ${where}`;
  const followers = sqliteFollowerStatements(where);
  return {
    log:
      form === 'followers'
        ? [
            [followers.event, 'values and where'],
            [followers.followers, 'where'],
            [followers.sequence, 'nothing'],
          ]
        : [
            [
              fixedSql(
                `INSERT INTO activities (${PROPAGATION_COLUMNS})
                 SELECT id, ${PROPAGATION_VALUES} FROM leads WHERE ${where} ORDER BY id`,
              ),
              'values and where',
            ],
          ],
    update: fixedSql(update('sqlite'), update('postgres')),
  };
}
const SQLITE_PROPAGATE = byForm((except, form) => inStatements(followersOf(except), form));

/**
 * The statements' calls, appended to `calls` (one array for a whole write, no copies): the log
 * (their results unread), then the UPDATE.
 */
function appendPropagationCalls(
  calls: StatementCall[],
  sql: InStatements,
  whereBindings: readonly unknown[],
  unsubscribed: boolean,
  now: number,
  activity: PropagationActivity,
): StatementCall[] {
  for (const [statement, takes] of sql.log) {
    let bindings: readonly unknown[] = NO_BINDINGS;
    if (takes === 'where') bindings = whereBindings;
    else if (takes === 'values and where') {
      const values = changeActivityBindings(unsubscribed, now, activity);
      for (const value of whereBindings) values.push(value as Knex.Value);
      bindings = values;
    }
    calls.push([statement, bindings]);
  }
  calls.push([sql.update, [unsubscribed, now, ...whereBindings]]);
  return calls;
}
const NO_BINDINGS: readonly unknown[] = Object.freeze([]);

async function propagateInStatements(
  db: Knex | Knex.Transaction,
  sql: InStatements,
  whereBindings: readonly unknown[],
  unsubscribed: boolean,
  now: number,
  activity: PropagationActivity,
): Promise<number> {
  return (
    await runCalls(db, appendPropagationCalls([], sql, whereBindings, unsubscribed, now, activity))
  ).changes;
}

/**
 * Sets the flag of every other lead of an address that disagrees with `unsubscribed`, and
 * logs one activity for each. Callers hold the address's lock.
 */
export async function propagateUnsubscribed(
  db: Knex | Knex.Transaction,
  engine: Engine,
  key: string,
  unsubscribed: boolean,
  exceptLeadId: number | null,
  now: number,
  activity: PropagationActivity,
): Promise<number> {
  const except = exceptLeadId === null ? 0 : 1;
  const where = followerBindings(key, unsubscribed, exceptLeadId);
  const form = propagationLog(db);
  if (engine !== 'postgres')
    return propagateInStatements(
      db,
      SQLITE_PROPAGATE[form][except],
      where,
      unsubscribed,
      now,
      activity,
    );
  const r = await runStatement(db, PG_PROPAGATE[form][except], [
    unsubscribed,
    now,
    ...where,
    ...changeActivityBindings(unsubscribed, now, activity),
  ]);
  return r.changes;
}

const SQLITE_SET_STATUS = fixedSql(SET_STATUS);
const SQLITE_HISTORY = fixedSql(
  `INSERT INTO email_status_history (${STATUS_COLUMNS}) VALUES (${'?, '.repeat(8)}?)`,
);

/**
 * SQLite's setStatusAndPropagate: the master status, its history, then the propagation's two
 * statements; the last one's changes are the people who followed.
 */
function sqliteSetAndPropagate(
  form: PropagationLog,
  status: EmailStatusRecord,
  exceptLeadId: number | null,
  activity: PropagationActivity,
): StatementCall[] {
  const { emailKey: key, unsubscribed, changedAt: now } = status;
  // The same values for the status and its history: nothing changes a statement's values.
  const values = statusBindings(status);
  return appendPropagationCalls(
    [
      [SQLITE_SET_STATUS, values],
      [SQLITE_HISTORY, values],
    ],
    SQLITE_PROPAGATE[form][exceptLeadId === null ? 0 : 1],
    followerBindings(key, unsubscribed, exceptLeadId),
    unsubscribed,
    now,
    activity,
  );
}

/** PostgreSQL's setStatusAndPropagate: one statement. */
function pgSetAndPropagate(
  form: PropagationLog,
  status: EmailStatusRecord,
  exceptLeadId: number | null,
  activity: PropagationActivity,
): StatementCall {
  const { emailKey: key, unsubscribed, changedAt: now } = status;
  return [
    PG_SET_AND_PROPAGATE[form][exceptLeadId === null ? 0 : 1],
    [
      ...statusBindings(status),
      unsubscribed,
      now,
      ...followerBindings(key, unsubscribed, exceptLeadId),
      ...changeActivityBindings(unsubscribed, now, activity),
    ],
  ];
}

/**
 * Writes a master status with its history, then propagateUnsubscribed for its address: one
 * statement on PostgreSQL, four on SQLite (one message to the writer thread).
 */
export async function setStatusAndPropagate(
  db: Knex | Knex.Transaction,
  engine: Engine,
  status: EmailStatusRecord,
  exceptLeadId: number | null,
  activity: PropagationActivity,
): Promise<number> {
  const form = propagationLog(db);
  if (engine !== 'postgres')
    return (await runCalls(db, sqliteSetAndPropagate(form, status, exceptLeadId, activity)))
      .changes;
  const [sql, bindings] = pgSetAndPropagate(form, status, exceptLeadId, activity);
  return (await runStatement(db, sql, bindings)).changes;
}

/**
 * setStatusAndPropagate for a caller that reads the count later, if at all (metrics): the
 * statements go with the transaction's next statement (or its COMMIT), in its message, and run
 * before it, as if awaited (queueCalls): on a SQLite file the four to the writer thread, on
 * PostgreSQL the one statement, its values written in, which saves its round trip.
 * `people` settles when that message is answered.
 */
export async function queueStatusAndPropagate(
  db: Knex | Knex.Transaction,
  engine: Engine,
  status: EmailStatusRecord,
  exceptLeadId: number | null,
  activity: PropagationActivity,
): Promise<{ people: Promise<number> }> {
  const form = propagationLog(db);
  const calls =
    engine === 'postgres'
      ? [pgSetAndPropagate(form, status, exceptLeadId, activity)]
      : sqliteSetAndPropagate(form, status, exceptLeadId, activity);
  const { changes } = await queueCalls(db, calls);
  return { people: changes };
}

/**
 * propagateUnsubscribed for many addresses at once (bulk imports): every lead of these keys
 * whose flag disagrees takes `unsubscribed`, with one activity each; two statements.
 */
export async function propagateUnsubscribedMany(
  db: Knex | Knex.Transaction,
  engine: Engine,
  keys: readonly string[],
  unsubscribed: boolean,
  now: number,
  activity: PropagationActivity,
): Promise<number> {
  if (keys.length === 0) return 0;
  const where = `email_key IN (${keys.map(() => '?').join(', ')}) AND unsubscribed = ?`;
  const whereBindings = [...keys, !unsubscribed];
  const form = propagationLog(db);
  if (engine === 'postgres' && form === 'followers') {
    const r = await runStatement(db, pgPropagation('', where, form), [
      unsubscribed,
      now,
      ...whereBindings,
      ...changeActivityBindings(unsubscribed, now, activity),
    ]);
    return r.changes;
  }
  const sql = inStatements(where, form);
  return propagateInStatements(db, sql, whereBindings, unsubscribed, now, activity);
}

/**
 * PostgreSQL: the call of unsubscribe_address_once, its 14 values written in as literals when
 * sent (statement.ts). One form for every one-click unsubscribe: a group of steps keeps it
 * prepared with the activity floor lock (pg-step-forms.ts), neither parsed nor planned again
 * at every group. UNSUBSCRIBE_ONCE_FIRST: the function's first version (activities form).
 */
const ONCE_VALUES = Array.from({ length: 14 }, () => '?').join(', ');
const UNSUBSCRIBE_ONCE = fixedSql(
  '',
  `SELECT changed, people, changed_at FROM unsubscribe_address_once(${ONCE_VALUES}, true)`,
);
const UNSUBSCRIBE_ONCE_FIRST = fixedSql(
  '',
  `SELECT changed, people, changed_at FROM unsubscribe_address_once(${ONCE_VALUES})`,
);

const SQLITE_STATUS = fixedSql(
  'SELECT unsubscribed, changed_at FROM email_status WHERE email_key = ?',
);

/**
 * The address takes `status` (an unsubscribe) with setStatusAndPropagate, unless it is
 * unsubscribed already, as the last step of its transaction. PostgreSQL: one round trip, the
 * address's lock and COMMIT included (the function unsubscribe_address_once of the
 * migrations); SQLite (one writer, in its transaction): the
 * status read, then setStatusAndPropagate.
 */
export async function unsubscribeAddressOnce(
  db: Knex | Knex.Transaction,
  engine: Engine,
  status: EmailStatusRecord,
  activity: PropagationActivity,
): Promise<UnsubscribeOnceResult> {
  const { emailKey: key, changedAt: now } = status;
  // What the function writes: an unsubscribe, recorded when it happened, lifting nothing.
  if (!status.unsubscribed || (status.recordedAt ?? now) !== now || status.liftedAt != null)
    throw new Error('unsubscribeAddressOnce writes a plain unsubscribe only');
  if (engine === 'postgres') {
    const [type, , ...values] = changeActivityBindings(true, now, activity);
    // Values written into the text: a statement without bindings goes in one message with
    // the transaction's BEGIN and its COMMIT, so the whole unsubscribe is one round trip.
    const args = [
      addressLockId(key),
      key,
      status.reason,
      status.source,
      status.leadId,
      now,
      type,
      ...values,
    ];
    // The followers form: the function's second version, whose last argument says so; the
    // activities form: the first, as the previous version of the service calls it.
    const call = propagationLog(db) === 'followers' ? UNSUBSCRIBE_ONCE : UNSUBSCRIBE_ONCE_FIRST;
    // The last statement of its transaction: COMMIT goes in the same message. A group of
    // steps sends it as EXECUTE of its form, with the same literals (pg-step-forms.ts).
    const { rows } = await runStatement(db, call, args, {
      endsTransaction: true,
      stepLock: args[0] as bigint,
    });
    const r = rows[0]!;
    return {
      changed: r.changed === true,
      people: Number(r.people),
      changedAt: Number(r.changed_at),
    };
  }
  // The check and setStatusAndPropagate's statements: one message to the writer thread.
  const { rows, thenChanges } = await runUnless(
    db,
    [SQLITE_STATUS, [key]],
    'unsubscribed',
    sqliteSetAndPropagate(propagationLog(db), status, status.leadId, activity),
  );
  if (thenChanges === null)
    return { changed: false, people: 0, changedAt: Number(rows[0]!.changed_at) };
  return { changed: true, people: thenChanges, changedAt: now };
}
