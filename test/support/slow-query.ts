/** A query that keeps SQLite busy for a second or more (two million recursive steps). */
export const SLOW_QUERY =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) AS n FROM c';
export const SLOW_QUERY_ROWS = [{ n: 2000000 }];
