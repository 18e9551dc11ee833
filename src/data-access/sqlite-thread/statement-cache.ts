const STATEMENT_CACHE_SIZE = 200;

/**
 * knex sends each statement as text, and preparing costs more than running a simple indexed
 * query: the most recently used prepared statements of a connection are kept. (SQLite
 * re-prepares a kept statement by itself when the schema changes.)
 */
export function cachedPrepare<S>(prepare: (sql: string) => S): (sql: string) => S {
  const cache = new Map<string, S>();
  return (sql) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    } else cache.delete(sql);
    cache.set(sql, statement);
    return statement;
  };
}
