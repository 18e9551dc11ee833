/**
 * The people's UPDATE of a propagation (rule 2) reads the address's index without reading again
 * the entries its people's earlier versions left there. Each flip of an address leaves one
 * dead entry per person in (email_key, change_seq) until VACUUM; PostgreSQL planned the UPDATE
 * of a large address as a bitmap scan, which returns every entry of the address, dead or alive,
 * so the k-th flip of N people read k × N entries and visited their heap pages (docs/
 * benchmarks.md, twentieth round). follow_address (migration 20261203001400) keeps it on an
 * index scan, which marks an entry dead once its version is dead to every transaction: the
 * next flips pass over it without visiting the heap.
 * Checked in the counters of the flip's own transaction (pg_stat_get_xact_tuples_fetched of
 * the index: the rows an index scan fetched through it), not in time; how many entries a flip
 * reads also depends on whether any transaction of the database is older than the previous
 * flip. On both engines: every follower follows, the one excepted not.
 */
import { expect } from 'chai';
import * as followAddress from '../../migrations/20261203001400_address_followers_function.js';
import type { Database } from '../../src/data-access/database.js';
import { propagateUnsubscribed } from '../../src/data-access/sql/lead-propagation.js';
import { testEngines } from '../support/database.js';

/** People on the shared address, and as many on addresses of their own. */
const PEOPLE = 3000;
const FLIPS = 8;
const KEY = 'shared@scan.example';
const activity = { attributeName: 'Unsubscribed', reason: 'test', source: 'Web service API' };

for (const engine of testEngines()) {
  describe(`a propagation's scan of its address (${engine.name})`, function () {
    this.timeout(120000);
    let db: Database;
    let drop: () => Promise<void>;
    let first: number;

    before(async () => {
      const made = await engine.create();
      db = made.db;
      drop = made.drop;
      for (const [email, key] of [
        ["'o' || n || '@scan.example'", "'o' || n || '@scan.example'"],
        [`'${KEY}'`, `'${KEY}'`],
      ])
        await db.knex.raw(
          `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
           INSERT INTO leads (email, email_key, first_name, created_at, updated_at, change_seq)
           SELECT ${email}, ${key}, 'P' || n, 1767225600000, 1767225600000, n FROM g`,
          [PEOPLE],
        );
      first = Number(
        (
          (await db.knex('leads').where('email_key', KEY).min('id as m')) as Array<{ m: number }>
        )[0]!.m,
      );
      if (engine.name === 'postgres') await db.knex.raw('ANALYZE leads');
    });
    after(() => drop());

    /**
     * One flip: the address's people but `first` take `flag`. PostgreSQL: the people fetched
     * through the address's index one by one (an index scan; a bitmap scan's are counted on
     * the table), in the counters of the flip's own transaction.
     */
    async function flip(flag: boolean, now: number): Promise<{ people: number; fetched: number }> {
      return db.knex.transaction(async (trx) => {
        const fetchedSoFar = async () =>
          engine.name === 'postgres'
            ? Number(
                (
                  (await trx.raw(
                    "SELECT pg_stat_get_xact_tuples_fetched('leads_email_key_change_seq_idx'::regclass) AS n",
                  )) as { rows: Array<{ n: string }> }
                ).rows[0]!.n,
              )
            : 0;
        const before = await fetchedSoFar();
        const people = await propagateUnsubscribed(
          trx,
          engine.name,
          KEY,
          flag,
          first,
          now,
          activity,
        );
        return { people, fetched: (await fetchedSoFar()) - before };
      });
    }

    it('reads the address through its index, person by person, at every flip', async () => {
      for (let k = 0; k < FLIPS; k++) {
        const flag = k % 2 === 0;
        const { people, fetched } = await flip(flag, 1767225700000 + k);
        expect(people, `flip ${k}`).to.equal(PEOPLE - 1);
        // An index scan: its people (the one excepted too) fetched one by one through the
        // index. A bitmap scan (or a sequential one) fetches none through it.
        if (engine.name === 'postgres')
          expect(fetched, `flip ${k}`).to.be.within(PEOPLE - 1, PEOPLE);
        const counts = (await db
          .knex('leads')
          .where('email_key', KEY)
          .select('unsubscribed')) as Array<{
          unsubscribed: boolean | number;
        }>;
        // Every follower took the flag; the one excepted kept its own (never set).
        expect(counts.filter((r) => Boolean(r.unsubscribed) === flag)).to.have.length(
          flag ? PEOPLE - 1 : PEOPLE,
        );
      }
    });

    if (engine.name === 'postgres')
      it('migrates down and up again', async () => {
        const exists = async () =>
          (
            (await db.knex.raw("SELECT to_regproc('follow_address') IS NOT NULL AS e")) as {
              rows: Array<{ e: boolean }>;
            }
          ).rows[0]!.e;
        await followAddress.down(db.knex);
        expect(await exists()).to.equal(false);
        await followAddress.up(db.knex);
        expect(await exists()).to.equal(true);
        const on = await flip(true, 1767225800000);
        const off = await flip(false, 1767225800001);
        expect(on.people + off.people).to.be.at.least(PEOPLE - 1);
        expect(on.fetched + off.fetched).to.be.at.least(PEOPLE - 1);
      });
  });
}
