import type BetterSqlite3 from 'better-sqlite3';

/**
 * What a restore compares: the master statuses (and the opt-outs kept under joined keys) of the
 * database it replaces that the backup does not hold, lost with the restore unless replayed.
 */
/** The master statuses of the replaced database that the backup does not hold as they were. */
export interface NotInBackup {
  statuses: number;
  optOuts: number;
  /** Opt-outs kept under a joined key (email_status_joined) the backup holds in neither table. */
  keptOptOuts: number;
  /**
   * The earliest time one of the statuses was recorded: `suppressions export --since` it lists
   * them all. Null when none is missing, only opt-outs of people without an address.
   */
  since: Date | null;
  /**
   * People without an address unsubscribed in the replaced database and not in the backup: no
   * master status holds such an opt-out (rule 5 carries it to the address the person gets), so
   * no export brings it back.
   */
  addressless: AddresslessOptOuts;
}

/** The opt-outs of people without an address the backup lacks. */
export interface AddresslessOptOuts {
  count: number;
  /** The first ADDRESSLESS_IDS_SHOWN ids, in order, of those the backup holds subscribed. */
  ids: number[];
  /** How many of them the backup does not hold at all (made after it was taken). */
  absent: number;
  /** The first ADDRESSLESS_IDS_SHOWN ids, in order, of those the backup does not hold. */
  absentIds: number[];
}

/** Ids of people without an address named (the count says how many there are in all). */
export const ADDRESSLESS_IDS_SHOWN = 20;

const hasColumn = (db: BetterSqlite3.Database, schema: string, column: string) =>
  (db.prepare(`pragma ${schema}.table_info(email_status)`).all() as Array<{ name: string }>).some(
    (c) => c.name === column,
  );

/**
 * The statuses of `current` (the database being replaced) missing from the backup `file` or
 * different there: what was recorded after the backup was taken, lost with the restore unless
 * replayed. Attached, the backup is only read (one on read-only media is opened so).
 *
 * Different means another value, date or reason, or recorded again since: an opt-out stated
 * again of an address unsubscribed already keeps its date when that date is older (a
 * complaint a list gives with its original date), and only its reason and the time it was
 * recorded tell it from the backup's.
 */
export function statusesNotIn(current: BetterSqlite3.Database, file: string): NotInBackup | null {
  current.prepare('ATTACH DATABASE ? AS restored_backup').run(file);
  try {
    const recordedHere = hasColumn(current, 'main', 'recorded_at');
    const recorded = recordedHere ? 'coalesce(m.recorded_at, m.changed_at)' : 'm.changed_at';
    const sameRecording =
      recordedHere && hasColumn(current, 'restored_backup', 'recorded_at')
        ? 'AND coalesce(b.recorded_at, b.changed_at) = coalesce(m.recorded_at, m.changed_at)'
        : '';
    const row = current
      .prepare(
        `SELECT count(*) AS statuses, coalesce(sum(m.unsubscribed), 0) AS optOuts,
           min(${recorded}) AS since
         FROM main.email_status m
         WHERE NOT EXISTS (SELECT 1 FROM restored_backup.email_status b
           WHERE b.email_key = m.email_key AND b.unsubscribed = m.unsubscribed
             AND b.changed_at = m.changed_at AND b.reason IS m.reason ${sameRecording})`,
      )
      .get() as { statuses: number; optOuts: number; since: number | null };
    const kept = keptNotIn(current);
    const since = Math.min(
      ...[row.since, kept.since].filter((t): t is number => t !== null).map(Number),
    );
    const addressless = addresslessNotIn(current);
    const statuses = row.statuses + kept.optOuts > 0 && Number.isFinite(since);
    if (!statuses && addressless.count === 0) return null;
    return {
      statuses: statuses ? row.statuses : 0,
      optOuts: statuses ? row.optOuts : 0,
      keptOptOuts: statuses ? kept.optOuts : 0,
      since: statuses ? new Date(since) : null,
      addressless,
    };
  } finally {
    current.prepare('DETACH DATABASE restored_backup').run();
  }
}

const hasTable = (db: BetterSqlite3.Database, schema: string, table: string) =>
  db
    .prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`)
    .get(table) !== undefined;

/**
 * The opt-outs kept under joined keys (email_status_joined, 20261206004000) of the attached
 * current database that the backup holds neither so (its kept row) nor as the status the
 * migration keeps them from (a backup taken before it: the opt-out under the joined key, which
 * the migration will keep again). Their recording time is not compared: a kept opt-out is never
 * written again, only listed anew (20261206005100).
 */
function keptNotIn(current: BetterSqlite3.Database): { optOuts: number; since: number | null } {
  if (!hasTable(current, 'main', 'email_status_joined')) return { optOuts: 0, since: null };
  const same = (table: string, key: string) =>
    `SELECT 1 FROM restored_backup.${table} b WHERE b.${key} = m.joined_key
       AND b.unsubscribed = m.unsubscribed AND b.changed_at = m.changed_at AND b.reason IS m.reason`;
  const inKept = hasTable(current, 'restored_backup', 'email_status_joined')
    ? `OR EXISTS (${same('email_status_joined', 'joined_key')})`
    : '';
  const row = current
    .prepare(
      `SELECT count(*) AS optOuts, min(coalesce(m.recorded_at, m.changed_at)) AS since
       FROM main.email_status_joined m
       WHERE m.unsubscribed AND NOT (EXISTS (${same('email_status', 'email_key')}) ${inKept})`,
    )
    .get() as { optOuts: number; since: number | null };
  return { optOuts: row.optOuts, since: row.since };
}

/**
 * The people without an address of the attached current database that are unsubscribed, and
 * are not unsubscribed in the backup (or not there at all): an opt-out the web service, a
 * merge or Salesforce acknowledged after the backup was taken, kept by the person's flag only.
 */
function addresslessNotIn(current: BetterSqlite3.Database): AddresslessOptOuts {
  const found: AddresslessOptOuts = { count: 0, ids: [], absent: 0, absentIds: [] };
  // Read a row at a time: there may be many, and only a few ids are named.
  const rows = current
    .prepare(
      `SELECT m.id AS id,
         EXISTS (SELECT 1 FROM restored_backup.leads b WHERE b.id = m.id) AS known
       FROM main.leads m
       WHERE m.email_key IS NULL AND m.unsubscribed
         AND NOT EXISTS (SELECT 1 FROM restored_backup.leads b
           WHERE b.id = m.id AND b.unsubscribed)
       ORDER BY m.id`,
    )
    .iterate() as IterableIterator<{ id: number; known: number }>;
  for (const row of rows) {
    found.count++;
    if (!row.known) found.absent++;
    const named = row.known ? found.ids : found.absentIds;
    if (named.length < ADDRESSLESS_IDS_SHOWN) named.push(Number(row.id));
  }
  return found;
}
