import { classifyDatabaseError } from './database-errors.js';

/**
 * Runs statements outside a unit of work (the account stores), reporting "the database is not
 * there" or "every connection is busy" as the typed errors the callers answer with.
 */
export async function classified<T>(statements: () => Promise<T>): Promise<T> {
  try {
    return await statements();
  } catch (error) {
    throw classifyDatabaseError(error);
  }
}
