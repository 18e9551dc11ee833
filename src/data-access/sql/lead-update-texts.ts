import type { Engine } from '../database.js';
import { ACTIVITY_COLUMNS } from './activity.repository.js';
import { nextChangeSeqSql } from './lead-propagation.js';
import { fixedSql, type FixedSql } from './statement.js';

/**
 * An UPDATE of one set of columns: alone, and (PostgreSQL) with its activities. Each gives back
 * the row's new change_seq alone: the caller knows the rest of the row (the locked record it
 * changed, and the values it wrote: lead-row.ts, applyUpdate), and a whole row of some forty
 * columns was most of what an unsubscribe's answer cost the client to parse.
 */
export interface UpdateTexts {
  update: FixedSql;
  logged: FixedSql;
}

/** Sets of columns kept: a change sets a few columns, and callers repeat the same sets. */
const MOST_UPDATE_TEXTS = 256;
const updateTextsKept: Record<Engine, Map<string, UpdateTexts>> = {
  sqlite: new Map(),
  postgres: new Map(),
};

/**
 * The texts of the UPDATE that writes `sets` (`"column" = ?, …`), written once per set of
 * columns: the same text object from one call to the next, so what is keyed by it (the
 * placeholders' split in fixed-sql.ts, a prepared form's name in pg-step-forms.ts) is found
 * without hashing and comparing a new text of some hundred characters each time, and the
 * texts are not made again for every unsubscribe.
 */
export function updateTexts(engine: Engine, sets: string): UpdateTexts {
  const kept = updateTextsKept[engine];
  let texts = kept.get(sets);
  if (texts === undefined) {
    if (kept.size >= MOST_UPDATE_TEXTS) kept.clear();
    const update = `UPDATE leads SET ${sets}, change_seq = ${nextChangeSeqSql(engine)}
      WHERE id = ? RETURNING change_seq`;
    // WITH ORDINALITY: activity ids follow the order given, as a multi-row INSERT gives them.
    const logged = `WITH u AS (${update}),
       a AS (
         INSERT INTO activities (${ACTIVITY_COLUMNS})
         SELECT ${ACTIVITY_COLUMNS}
         FROM json_populate_recordset(NULL::activities, ?::json) WITH ORDINALITY AS r
         WHERE EXISTS (SELECT 1 FROM u) ORDER BY r.ordinality
       )
       SELECT change_seq FROM u`;
    kept.set(sets, (texts = { update: fixedSql(update), logged: fixedSql(logged) }));
  }
  return texts;
}
