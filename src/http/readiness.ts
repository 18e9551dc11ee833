import type { Database } from '../data-access/database.js';
import { migrationStatus, writesRefused } from '../data-access/migrator.js';
import type { FreeSpace } from './free-space.js';

/** What GET /readyz answers: its status and its JSON body. */
export interface Readiness {
  status: 200 | 503;
  body: { status: 'ready'; engine: Database['engine'] } | { status: 'not ready'; reason: string };
}

/** How long one look at the database answers /readyz. */
export const READINESS_MAX_AGE_MS = 1000;

/**
 * Whether the database answers, takes writes and has no migration pending, and (the embedded
 * database, `space` given) its volume has the free space READY_MIN_FREE_MB asks: one look,
 * never rejected. A PostgreSQL server in recovery (an old primary back as a standby after a
 * failover, a pooler pointed at the standby) answers reads but refuses every write.
 */
export async function checkReadiness(
  database: Database,
  space: FreeSpace | null = null,
): Promise<Readiness> {
  try {
    const short = space === null ? null : await space.shortage();
    if (short !== null) return { status: 503, body: { status: 'not ready', reason: short } };
    const refused = await writesRefused(database);
    if (refused !== null)
      return {
        status: 503,
        body: {
          status: 'not ready',
          reason:
            refused === 'standby'
              ? 'the database takes no writes: a standby in recovery'
              : 'the database takes no writes: read only',
        },
      };
    const { pending } = await migrationStatus(database);
    if (pending.length > 0)
      return { status: 503, body: { status: 'not ready', reason: 'migrations pending' } };
    return { status: 200, body: { status: 'ready', engine: database.engine } };
  } catch {
    return { status: 503, body: { status: 'not ready', reason: 'database unreachable' } };
  }
}

/**
 * `check`, looked at no more than once per `maxAgeMs`: /readyz is unauthenticated, and each of
 * its looks is several statements on the database (a connection of the pool, the SQLite
 * thread); asked in a loop, from anyone, it cost the database a round trip per request. A
 * result answers the requests of `maxAgeMs` from when its look began, a failure as much as a
 * success (an unreachable database is when a look costs most: a connection attempt); the
 * requests that come while a look is under way share it.
 */
export function cachedReadiness(
  check: () => Promise<Readiness>,
  maxAgeMs: number = READINESS_MAX_AGE_MS,
  now: () => number = Date.now,
): () => Promise<Readiness> {
  let last: { at: number; result: Readiness } | null = null;
  let looking: Promise<Readiness> | null = null;
  return () => {
    if (last !== null && now() - last.at < maxAgeMs) return Promise.resolve(last.result);
    if (looking !== null) return looking;
    const at = now();
    looking = check().then(
      (result) => {
        last = { at, result };
        looking = null;
        return result;
      },
      (error: unknown) => {
        looking = null;
        throw error;
      },
    );
    return looking;
  };
}
