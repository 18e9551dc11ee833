/**
 * knex binds LIMIT as a parameter; SQLite then cannot plan around the row count and a one-row
 * lookup by address cost 25 µs instead of 9. Our limits are integers of our own (knex's
 * parseInt makes sure), so they are written into the SQL: `.limit(n, INLINE)`.
 */
export const INLINE = { skipBinding: true } as const;
