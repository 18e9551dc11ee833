/**
 * Kills a service process while clients keep calling it, then opens its database as a
 * restarted process would: what acknowledged writes must survive.
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { LinkTokens } from '../../src/one-click/link-token.js';
import type { ServiceProcess } from './service-process.js';

/**
 * Runs `clients` loops of `call` against the service and SIGKILLs it once `ready()` holds
 * (however slow the machine, within a minute) and `after` more milliseconds have passed; a
 * loop ends when its connection dies with the process.
 */
export async function killWhileCalling(
  service: ServiceProcess,
  options: { clients: number; call: () => Promise<void>; ready: () => boolean; after?: number },
): Promise<void> {
  const client = async () => {
    for (;;) {
      try {
        await options.call();
      } catch {
        return; // the connection died with the process
      }
    }
  };
  const clients = Array.from({ length: options.clients }, client);
  for (let waited = 0; !options.ready() && waited < 60000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
  if (options.after) await new Promise((r) => setTimeout(r, options.after));
  service.child.kill('SIGKILL');
  await Promise.all(clients);
  await service.exited;
}

/**
 * killWhileCalling that sends each of `items` once at most (`send` says whether the service
 * acknowledged it) and kills the service once `enough` are acknowledged; the acknowledged ones.
 * The calls end with an error once every item is sent.
 */
export async function killWhileSendingEach<T>(
  service: ServiceProcess,
  items: readonly T[],
  options: { clients: number; enough: number; send: (item: T) => Promise<boolean> },
): Promise<T[]> {
  const acknowledged: T[] = [];
  let next = 0;
  await killWhileCalling(service, {
    clients: options.clients,
    call: async () => {
      if (next >= items.length) throw new Error('every item sent');
      const item = items[next++]!;
      if (await options.send(item)) acknowledged.push(item);
    },
    ready: () => acknowledged.length >= options.enough,
  });
  return acknowledged;
}

/** Opens the killed service's database as a restarted process would, for `check`. */
export async function afterRestart(
  env: NodeJS.ProcessEnv,
  check: (database: Database) => Promise<void>,
): Promise<void> {
  const database = openDatabase({
    databaseUrl: env.DATABASE_URL ?? '',
    dataDir: env.DATA_DIR ?? '',
    sqliteBusyTimeoutMs: 5000,
    dbPoolMax: 2,
  });
  try {
    await check(database);
  } finally {
    await database.close();
  }
}

/** The addresses among `emails` whose master status is unsubscribed. */
export async function unsubscribedMasters(database: Database, emails: string[]): Promise<string[]> {
  const rows = (await database
    .knex('email_status')
    .whereIn('email_key', emails)
    .where('unsubscribed', true)
    .select('email_key')) as Array<{ email_key: string }>;
  return rows.map((r) => r.email_key);
}

/** Every one of `emails` unsubscribed: its person's flag and its master status. */
export async function expectUnsubscribed(database: Database, emails: string[]): Promise<void> {
  const people = (await database
    .knex('leads')
    .whereIn('email', emails)
    .select('email', 'unsubscribed')) as Array<{ email: string; unsubscribed: unknown }>;
  expect(people.filter((p) => Boolean(p.unsubscribed)).map((p) => p.email)).to.have.members(emails);
  expect(await unsubscribedMasters(database, emails)).to.have.members(emails);
}

const LINK_KEY = { id: 'k1', secret: 'a link secret of thirty-two characters or more' };

/** The settings of a service with one-click links on and no limit on their POSTs. */
export const LINK_SETTINGS = {
  UNSUBSCRIBE_LINK_SECRET: LINK_KEY.secret,
  UNSUBSCRIBE_LINK_KEY_ID: LINK_KEY.id,
  UNSUBSCRIBE_RATE_LIMIT: '0',
};

/** Links as a sender holding LINK_SETTINGS' key makes them. */
export const linkTokens = (): LinkTokens =>
  new LinkTokens({ current: LINK_KEY, retired: [] }, 86400);
