import { expect } from 'chai';
import pg from 'pg';
import { emailKey } from '../../src/domain/email-key.js';
import { testEngines } from '../support/database.js';
import { createLead, openHarness, type Harness } from '../support/harness.js';

/**
 * PostgreSQL: unsubscribe_address_once runs its propagation statement (the people's UPDATE
 * and their log, one statement of several CTEs) only when someone holds the address: an
 * unsubscribe link's address often has nobody yet, and starting that statement's executor for
 * no rows was most of the server's work of a one-click unsubscribe (migration
 * 20261203002100). Which statements the function ran is read from auto_explain's plans, sent
 * to this session as LOG messages; where the server does not let the session load it, the
 * test is skipped.
 */

const ARGS = (key: string, at: number) =>
  [
    `(${String(Number.MAX_SAFE_INTEGER - at)})`,
    `'${key}'`,
    "'Unsubscribe link'",
    "'Unsubscribe link (link p1)'",
    'NULL',
    String(at),
    "'Change Data Value'",
    "'Unsubscribed'",
    "'false'",
    "'true'",
    "'propagated'",
    "'Unsubscribe link'",
    "'link p1'",
    'NULL',
    'true',
  ].join(', ');

/**
 * A session of its own on `engine`'s database whose statements' plans auto_explain sends it
 * (`settings` added), and the function's answer for an address with the plans it ran; skips
 * the suite where the server does not let the session load auto_explain.
 */
function plannedSession(engine: ReturnType<typeof testEngines>[number], settings = '') {
  const session = {
    h: undefined as unknown as Harness,
    client: undefined as unknown as pg.Client,
    /** The function's answer for `email` at `at`, and the plans of the statements it ran. */
    async unsubscribe(email: string, at: number) {
      plans.length = 0;
      const { rows } = await session.client.query<{
        changed: boolean;
        people: number;
        changed_at: string;
      }>(
        `SELECT changed, people, changed_at FROM unsubscribe_address_once(${ARGS(emailKey(email), at)})`,
      );
      return { ...rows[0]!, plans: plans.join('\n') };
    },
  };
  const plans: string[] = [];
  before(async function () {
    session.h = await openHarness(engine);
    session.client = new pg.Client(session.h.url);
    await session.client.connect();
    session.client.on('notice', (n: { message?: string }) => plans.push(n.message ?? ''));
    try {
      await session.client.query("LOAD 'auto_explain'");
    } catch {
      this.skip();
    }
    await session.client.query(
      `SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET client_min_messages = log${settings}`,
    );
  });
  after(async () => {
    await session.client?.end();
    await session.h?.drop();
  });
  return session;
}

for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe('unsubscribe_address_once runs the propagation only for a held address (postgres)', () => {
    const session = plannedSession(engine);
    const { unsubscribe } = session;

    it('nobody holds the address: the status and its history, no propagation', async () => {
      const r = await unsubscribe('nobody@plans.example', 1000);
      expect(r).to.include({ changed: true, people: 0 });
      expect(r.plans).to.match(/Insert on email_status_history/);
      expect(r.plans).not.to.match(/Update on leads|activity_followers|propagation_events/);
      const status = await session.h.db
        .knex('email_status')
        .where('email_key', 'nobody@plans.example');
      expect(status.map((s: { unsubscribed: unknown }) => Boolean(s.unsubscribed))).to.deep.equal([
        true,
      ]);
    });

    it('two people hold it: both follow, with their log', async () => {
      await createLead(session.h.services, 'two@plans.example');
      await createLead(session.h.services, 'two@plans.example');
      const r = await unsubscribe('two@plans.example', 2000);
      expect(r).to.include({ changed: true, people: 2 });
      expect(r.plans).to.match(/Update on leads/);
      expect(r.plans).to.match(/Insert on activity_followers/);
      const people = await session.h.db.knex('leads').where('email_key', 'two@plans.example');
      expect(people.map((p: { unsubscribed: unknown }) => Boolean(p.unsubscribed))).to.deep.equal([
        true,
        true,
      ]);
    });

    it('only unsubscribed people hold it: nobody follows, no propagation', async () => {
      await createLead(session.h.services, 'done@plans.example');
      await session.h.db.knex('leads').where('email_key', 'done@plans.example').update({
        unsubscribed: true,
      });
      const r = await unsubscribe('done@plans.example', 3000);
      expect(r).to.include({ changed: true, people: 0 });
      expect(r.plans).not.to.match(/Update on leads/);
    });
  });
}

for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe('unsubscribe_address_once finds the status by its key whatever the statistics (postgres)', () => {
    // As a group of steps runs it: generic plans, made once per session and kept.
    const session = plannedSession(engine, '; SET plan_cache_mode = force_generic_plan');
    const { unsubscribe } = session;

    it('a session that first ran while the table looked empty scans no table as it grows', async () => {
      // Statistics gathered before the first unsubscribe, and no autovacuum since.
      await session.client.query('ANALYZE email_status');
      expect(await unsubscribe('first@stale.example', 1000)).to.include({ changed: true });
      const rows = Array.from({ length: 2000 }, (_, i) => ({
        email_key: `other-${i}@stale.example`,
        unsubscribed: true,
        source: 'import',
        changed_at: 500,
        recorded_at: 500,
      }));
      for (let i = 0; i < rows.length; i += 500)
        await session.h.db.knex('email_status').insert(rows.slice(i, i + 500));

      const r = await unsubscribe('second@stale.example', 2000);
      expect(r).to.include({ changed: true, people: 0 });
      expect(r.plans).to.match(/email_status/);
      expect(r.plans).not.to.match(/Seq Scan on email_status/);

      // Sent again: nothing written, the first time answered.
      const again = await unsubscribe('second@stale.example', 3000);
      expect(again).to.include({ changed: false, people: 0 });
      expect(Number(again.changed_at)).to.equal(2000);
      const history = await session.h.db
        .knex('email_status_history')
        .where('email_key', 'second@stale.example');
      expect(history).to.have.length(1);
      const [status] = await session.h.db
        .knex('email_status')
        .where('email_key', 'second@stale.example');
      expect(Number(status.changed_at)).to.equal(2000);
    });
  });
}
