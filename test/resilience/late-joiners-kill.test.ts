/**
 * SIGKILL of a SQLite service while its unsubscribes gather in groups of final steps that take
 * late units in behind the COMMIT ahead (sqlite-late-joiners.ts): killed at random moments,
 * restarted several times on one file, what it acknowledged is stored whole, with every person
 * of the address and their activity, and nothing it did not finish is half there.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import {
  afterRestart,
  killWhileCalling,
  LINK_SETTINGS,
  linkTokens,
} from '../support/kill-while-calling.js';
import { syncManyXml } from '../support/durable-model-requests.js';
import { workersOf } from '../support/proc.js';
import { rawCall, syncUnsubscribedXml } from '../support/service.js';
import { spawnService, withFreshService, type ServiceProcess } from '../support/service-process.js';
import { oneClick } from '../one-click/support.js';
import { cli } from '../ops/support.js';

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;
type Signal = 'SIGKILL' | 'SIGTERM';
/**
 * Per WORKERS setting, the signal of each round: kills outright at random moments, and one
 * stop signal (it drains and exits 0). Fewer rounds with workers: each start costs seconds.
 */
const ROUNDS: Record<string, Signal[]> = {
  '1': ['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGTERM'],
  '2': ['SIGKILL', 'SIGKILL'],
};
const ADDRESSES_A_ROUND = 160;
/** People of one address (the unsubscribe reaches them all in its one step). */
const PEOPLE = 3;

const address = (workers: string, round: number, i: number) =>
  `late-kill-${workers}-${round}-${i}@example.com`;

/** Every person of `emails` unsubscribed or none, agreeing with the master status and history. */
async function storedWhole(database: Database, emails: string[]): Promise<Set<string>> {
  const k = database.knex;
  const masters = (await k('email_status')
    .whereIn('email_key', emails)
    .select('email_key', 'unsubscribed')) as Array<{ email_key: string; unsubscribed: unknown }>;
  const unsubscribed = new Set(
    masters.filter((m) => Boolean(m.unsubscribed)).map((m) => m.email_key),
  );
  const people = (await k('leads')
    .whereIn('email', emails)
    .select('id', 'email', 'unsubscribed')) as Array<{
    id: number;
    email: string;
    unsubscribed: unknown;
  }>;
  const history = (await k('email_status_history')
    .whereIn('email_key', emails)
    .where('unsubscribed', true)
    .select('email_key')) as Array<{ email_key: string }>;
  const logged = (await k('activity_log')
    .whereIn(
      'lead_id',
      people.map((p) => p.id),
    )
    .where('attribute_name', 'Unsubscribed')
    .where('new_value', 'true')
    .select('lead_id')) as Array<{ lead_id: number }>;
  const loggedCount = (id: number) => logged.filter((a) => a.lead_id === id).length;
  for (const email of emails) {
    const own = people.filter((p) => p.email === email);
    expect(own, email).to.have.length(PEOPLE);
    const on = unsubscribed.has(email);
    const flags = own.map((p) => Boolean(p.unsubscribed));
    expect(flags, `${email}: its people's flags`).to.deep.equal(own.map(() => on));
    expect(
      history.filter((h) => h.email_key === email),
      `${email}: its history`,
    ).to.have.length(on ? 1 : 0);
    expect(
      own.map((p) => loggedCount(p.id)),
      `${email}: its people's activity`,
    ).to.deep.equal(own.map(() => (on ? 1 : 0)));
  }
  return unsubscribed;
}

/** Kills the service and its workers outright, at once; or asks it to stop (SIGTERM). */
function signal(service: ServiceProcess, name: Signal): void {
  if (name === 'SIGKILL') for (const pid of workersOf(service.pid)) process.kill(pid, 'SIGKILL');
  service.child.kill(name);
}

for (const [workers, signals] of Object.entries(ROUNDS)) {
  describe(`SQLite late joiners killed or stopped at random moments (WORKERS=${workers})`, function () {
    this.timeout(120000);

    it(`${signals.join(', ')}: acknowledged opt-outs whole, none half`, async () => {
      const settings = { ...LINK_SETTINGS, WORKERS: workers, RATE_LIMIT_CALLS: '0' };
      await withFreshService(sqlite, { settings, built: true }, async (first, env) => {
        const tokens = linkTokens();
        let service = first;
        const acknowledgedAll: string[] = [];
        for (let round = 0; round < signals.length; round++) {
          if (round > 0) service = await spawnService({ ...env, ...settings }, { built: true });
          const emails = Array.from({ length: ADDRESSES_A_ROUND }, (_, i) =>
            address(workers, round, i),
          );
          // A batch holds 300 records at most.
          for (let i = 0; i < emails.length; i += 80) {
            const people = emails
              .slice(i, i + 80)
              .flatMap((email) => Array.from({ length: PEOPLE }, () => ({ email })));
            const seeded = await rawCall(service.url, syncManyXml(people, false));
            expect(seeded.status, seeded.body.slice(0, 300)).to.equal(200);
          }
          // Half of the addresses by a checked syncLead, half by a one-click POST: both are
          // final steps, and join the same groups.
          const acknowledged: string[] = [];
          const enough = 4 + Math.floor(Math.random() * (ADDRESSES_A_ROUND / 2));
          let next = 0;
          const victim = service;
          const killer = {
            child: { kill: () => signal(victim, signals[round]!) },
            exited: victim.exited,
          };
          await killWhileCalling(killer as unknown as ServiceProcess, {
            clients: 16,
            call: async () => {
              if (next >= emails.length) throw new Error('every address sent');
              const i = next++;
              const email = emails[i]!;
              if (i % 2 === 0) {
                const res = await rawCall(victim.url, syncUnsubscribedXml(email, 'true'));
                if (res.status === 200 && /<status>UPDATED</.test(res.body))
                  acknowledged.push(email);
              } else {
                const res = await oneClick(`${victim.base}/u/${tokens.create(email)}`);
                if (res.status === 200 && res.body === 'Unsubscribed.\n') acknowledged.push(email);
              }
            },
            // A random moment: early in the stream or well into it, between two answers
            // or a few milliseconds past one.
            ready: () => acknowledged.length >= enough,
            after: Math.floor(Math.random() * 20),
          });
          expect(acknowledged.length, victim.output()).to.be.at.least(enough);
          expect(acknowledged.length, 'killed before every address was sent').to.be.below(
            emails.length,
          );
          acknowledgedAll.push(...acknowledged);
          if (signals[round] === 'SIGTERM')
            expect((await victim.exited).code, victim.output()).to.equal(0);
          await afterRestart(env, async (database) => {
            const unsubscribed = await storedWhole(database, emails);
            for (const email of acknowledged) expect(unsubscribed.has(email), email).to.equal(true);
          });
        }
        const verified = await cli(['verify'], { ...env, LOG_LEVEL: 'warn' });
        expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
        // Everything acknowledged in any round is still stored after the later rounds' kills.
        await afterRestart(env, async (database) => {
          const rounds = Array.from({ length: signals.length }, (_, r) =>
            Array.from({ length: ADDRESSES_A_ROUND }, (__, i) => address(workers, r, i)),
          ).flat();
          const unsubscribed = await storedWhole(database, rounds);
          for (const email of acknowledgedAll)
            expect(unsubscribed.has(email), email).to.equal(true);
        });
      });
    });
  });
}
