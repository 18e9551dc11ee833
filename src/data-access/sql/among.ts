import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import { pgArrayText } from './fixed-sql.js';

/** Lists up to this long are bound one value each (the plan every test knows). */
const INLINE_IDS = 1000;

/**
 * `column` among `ids`. A long list (everyone holding a much-shared address) goes as one
 * binding, an array on PostgreSQL, JSON on SQLite: one value per id would pass SQLite's 32,766
 * variables (PostgreSQL's 65,535) and fail the call.
 */
export function whereAmong(
  q: Knex.QueryBuilder,
  column: string,
  ids: readonly number[],
  engine: Engine,
): Knex.QueryBuilder {
  if (ids.length <= INLINE_IDS) return q.whereIn(column, ids);
  return engine === 'postgres'
    ? q.whereRaw('?? = ANY(?)', [column, pgArrayText(ids)])
    : q.whereRaw('?? IN (SELECT value FROM json_each(?))', [column, JSON.stringify(ids)]);
}
