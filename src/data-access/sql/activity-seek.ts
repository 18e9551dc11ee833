import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import type { ActivityQuery } from '../../domain/records.js';
import { INLINE } from '../inline-limit.js';
import { whereAmong } from './among.js';
import { filtered, FOLLOWED, OTHER_TYPES, OTHER_TYPES_INDEX, OWN } from './activity-sources.js';

/** The type of nearly every activity, and of every follower of a propagation. */
const DATA_VALUE = 'Change Data Value';

/**
 * Probes per statement: each is a member of one compound SELECT, and SQLite takes at most 500
 * of those (SQLITE_MAX_COMPOUND_SELECT).
 */
const PROBES_PER_STATEMENT = 100;

/**
 * Leads sought one index search each, up to this many (a LeadKeySelector's 100 keys, a few
 * people each); past it, one search along the primary key tests them all.
 */
const PROBED_LEADS = 500;

/**
 * The lowest id above `afterId` (and at most `maxId`, null: no bound) of an activity `filter`
 * admits, or null (ActivityQueries.firstIdAfter). `filter` names its types by includeTypes
 * (the caller turns an exclusion into the types it leaves). Each probe is one index search
 * that stops at its first entry past `afterId`: per lead, the lead's index (lead_id, id, …);
 * per type, (activity_type, id); so the answer costs a few index descents, however far past
 * the start the first match lies. A probe passes over entries only where the index does not
 * hold what the filter tests: a lead's activities of other types (read through the index of
 * other types when the filter admits no data-value change), or activities outside a date. On
 * PostgreSQL, whose (activity_type, id) index leaves out Change Data Value, the probe for that
 * type reads the primary key: nearly every activity is of it.
 */
export async function firstIdAfter(
  db: Knex | Knex.Transaction,
  engine: Engine,
  afterId: number,
  filter: ActivityQuery,
  maxId: number | null,
): Promise<number | null> {
  const types = filter.includeTypes;
  const dataValues = types === undefined || types.includes(DATA_VALUE);
  const rest: ActivityQuery = { ...filter, leadIds: undefined, includeTypes: undefined };
  const leads = filter.leadIds;
  const probes: Knex.QueryBuilder[] = [];

  const own = (index: string | null) => {
    const from =
      engine === 'sqlite' && index
        ? db.from(db.raw(`activities INDEXED BY ${index}`))
        : db('activities');
    let q = filtered(from, rest, engine, OWN).andWhere(OWN.id, '>', afterId);
    if (maxId !== null) q = q.andWhere(OWN.id, '<=', maxId);
    return q;
  };
  const cut = (q: Knex.QueryBuilder, id: string) =>
    q.select(id).orderBy(id, 'asc').limit(1, INLINE);

  if (leads !== undefined && leads.length > PROBED_LEADS) {
    // Everyone holding a much-shared address: one search along the primary key, testing the
    // lead on each entry (their activities are then many and close together).
    let q = own(null);
    q = whereAmong(q, OWN.lead, leads, engine);
    if (types !== undefined) q = q.whereIn(OWN.type, types);
    probes.push(cut(q, OWN.id));
  } else if (leads !== undefined) {
    for (const lead of leads) {
      let q = own(dataValues ? 'activities_lead_id_type_idx' : OTHER_TYPES_INDEX).where(
        OWN.lead,
        lead,
      );
      if (types !== undefined) q = q.whereIn(OWN.type, types);
      if (!dataValues) q = q.whereRaw(OTHER_TYPES);
      probes.push(cut(q, OWN.id));
    }
  } else if (types !== undefined) {
    for (const type of types) {
      const pk = engine === 'postgres' && type === DATA_VALUE;
      probes.push(cut(own(pk ? null : 'activities_type_idx').where(OWN.type, type), OWN.id));
    }
  } else {
    probes.push(cut(own(null), OWN.id));
  }

  if (dataValues) {
    // A propagation's followers: all of them Change Data Value, at the time of their event.
    const followers = () => {
      let q = db('activity_followers as f');
      if (rest.oldestCreatedAt !== undefined || rest.latestCreatedAt !== undefined)
        q = q.join('propagation_events as e', 'e.id', 'f.event_id');
      q = filtered(q, rest, engine, FOLLOWED).andWhere(FOLLOWED.id, '>', afterId);
      return maxId === null ? q : q.andWhere(FOLLOWED.id, '<=', maxId);
    };
    if (leads !== undefined && leads.length > PROBED_LEADS)
      probes.push(cut(whereAmong(followers(), FOLLOWED.lead, leads, engine), FOLLOWED.id));
    else if (leads !== undefined)
      for (const lead of leads)
        probes.push(cut(followers().where(FOLLOWED.lead, lead), FOLLOWED.id));
    else probes.push(cut(followers(), FOLLOWED.id));
  }

  let first: number | null = null;
  for (let i = 0; i < probes.length; i += PROBES_PER_STATEMENT) {
    const chunk = probes.slice(i, i + PROBES_PER_STATEMENT);
    // Each probe in a subquery of its own: SQLite takes no ORDER BY or LIMIT on a member of a
    // compound SELECT.
    const [head, ...tail] = chunk.map((p, j) => db.select('id').from(p.as(`p${j}`)));
    const union = tail.length > 0 ? head!.unionAll(tail) : head!;
    const [row] = (await db.from(union.as('u')).min({ m: 'id' })) as Array<{
      m: number | string | null;
    }>;
    const m = row?.m === null || row?.m === undefined ? null : Number(row.m);
    if (m !== null && (first === null || m < first)) first = m;
  }
  return first;
}
