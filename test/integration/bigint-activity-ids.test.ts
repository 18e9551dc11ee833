/**
 * Activity ids past the 32-bit range (the contract's ActivityRecord/id is an xs:long). Before
 * migration 20261203002000 PostgreSQL's sequence and id columns were 32-bit: past 2^31 ids
 * every write that logs an activity failed, acknowledged opt-outs included; and a stream
 * position past 2^31 was refused on both engines. Every path that logs, the change stream,
 * a person's log (SOAP and console) and the migration's way back, on a log moved past the range.
 */
import { expect } from 'chai';
import * as bigintIds from '../../migrations/20261203002000_bigint_activity_ids.js';
import * as dropNthId from '../../migrations/20261204000000_drop_lead_activity_nth_id.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { openHarness } from '../support/harness.js';
import { nextActivityIdAt, PAST_32_BITS } from '../support/activity-ids.js';
import { rawCall, startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient } from '../admin/support.js';
import { addressRows } from '../support/suppression-list.js';

const web = ChangePaths.webService('api-user');
const unsubscribed = (value: boolean) => [{ name: 'Unsubscribed', value: String(value) }];

/** Writes by every path that logs, on people of four addresses; the people's ids. */
async function writeByEveryPath(s: Services): Promise<number[]> {
  const ids: number[] = [];
  for (const email of ['sync@example.com', 'link@example.com', 'list@example.com', 'b@example.com'])
    for (let i = 0; i < 3; i++) {
      const made = await s.leads.sync(
        { email, attributes: [{ name: 'FirstName', value: `P${i}` }] },
        { path: web, partition: i === 1 ? 'Other' : 'Default', matchByEmail: false },
      );
      ids.push(made.leadId);
    }
  await s.leads.sync({ id: ids[0]!, attributes: unsubscribed(true) }, { path: web });
  await s.leads.sync({ id: ids[1]!, attributes: unsubscribed(false) }, { path: web });
  await s.links.unsubscribe({ email: 'link@example.com', linkId: 'aaaaaaaaaaaaaaaa', list: null });
  await s.suppressions.import(addressRows(['list@example.com']), { onReject: () => undefined });
  await s.leads.syncMany([{ id: ids[9]!, attributes: unsubscribed(true) }], { path: web });
  return ids;
}

for (const engine of testEngines()) {
  describe(`activity ids past 2^31 (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let s: Services;
    before(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE] });
      s = svc.running.services;
      await nextActivityIdAt(svc.running.database, PAST_32_BITS);
    });
    after(() => svc.stop());

    it('every path logs, and the stream and each person’s log read it, ids and positions', async () => {
      const ids = await writeByEveryPath(s);
      const streamed: Array<{ id: number; leadId: number }> = [];
      let offset = `ID:${PAST_32_BITS - 1}`;
      for (;;) {
        const page = await s.activities.changes({ offset }, { batchSize: 7 });
        streamed.push(...page.activities);
        offset = page.newStartPosition.offset;
        if (page.remainingCount === 0) break;
      }
      // 12 new people; then the unsubscribe, the re-subscribe, the link, the list and the batch,
      // each reaching the three people of its address: all past the 32-bit range.
      expect(streamed).to.have.length(12 + 5 * 3);
      const streamIds = streamed.map((a) => a.id);
      expect(streamIds[0]).to.equal(PAST_32_BITS);
      expect(streamIds).to.deep.equal([...streamIds].sort((x, y) => x - y));
      expect(offset).to.equal(`ID:${streamIds.at(-1)}`);
      for (const id of ids) {
        const log = await s.activities.listForLead({ keyType: 'IDNUM', keyValue: String(id) });
        const mine = streamed.filter((a) => a.leadId === id).map((a) => a.id);
        expect(log.activities.map((a) => a.id).sort((x, y) => x - y)).to.deep.equal(mine);
        expect(log.remainingCount).to.equal(0);
      }
      // Paged newest first from a position past 2^31 (the console's and SOAP's windows).
      const older = await s.activities.listForLead(
        { keyType: 'IDNUM', keyValue: String(ids[2]) },
        { batchSize: 1 },
      );
      expect(older.returnCount).to.equal(1);
      expect(older.remainingCount).to.equal(2);
    });

    it('SOAP takes a position past 2^31 back, and the console pages by one', async () => {
      const lead = await s.leads.sync(
        { email: 'soap@example.com', attributes: unsubscribed(true) },
        { path: web },
      );
      const [last] = (
        await s.activities.listForLead({ keyType: 'IDNUM', keyValue: String(lead.leadId) })
      ).activities;
      expect(last!.id).to.be.above(2 ** 31);
      const reply = await rawCall(
        svc.url,
        `<ns1:paramsGetLeadChanges><startPosition><offset>ID:${last!.id - 1}</offset></startPosition>` +
          '<batchSize>10</batchSize></ns1:paramsGetLeadChanges>',
      );
      expect(reply.status, reply.body).to.equal(200);
      expect(reply.body).to.include(`<id>${last!.id}</id>`);
      expect(reply.body).to.include(`<offset>ID:${last!.id}</offset>`);
      const client = new AdminClient(svc.base);
      await client.logIn();
      const page = await client.get(`/admin/people/${lead.leadId}?before=${last!.id + 1}`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Unsubscribed');
    });

    if (engine.name === 'postgres')
      it('the way back refuses, changing nothing, once an id is past 2^31', async () => {
        const knex = svc.running.database.knex;
        const type = async (table: string) =>
          (
            (await knex.raw(
              `SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = 'id'`,
              [table],
            )) as { rows: Array<{ data_type: string }> }
          ).rows[0]?.data_type;
        expect(await type('activity_followers')).to.equal('bigint');
        let refused = false;
        // The later migration that dropped a function the bigint one re-types is rolled back
        // first, as a rollback would: the refusal is the ids', not a missing function's.
        await knex
          .transaction(async (trx) => {
            await dropNthId.down(trx);
            await bigintIds.down(trx);
          })
          .catch((error: Error) => {
            refused = !/does not exist/.test(error.message);
          });
        expect(refused).to.equal(true);
        expect(await type('activities')).to.equal('bigint');
        expect(await type('propagation_events')).to.equal('bigint');
      });
  });
}

for (const engine of testEngines().filter((e) => e.name === 'postgres'))
  describe('activity ids as bigint: the migration both ways (postgres)', () => {
    it('down makes them 32-bit again, up bigint, the log read the same through the view', async () => {
      const h = await openHarness(engine);
      try {
        await writeByEveryPath(h.services);
        const knex = h.db.knex;
        const log = async () =>
          (
            (await knex.raw('SELECT id, lead_id FROM activity_log ORDER BY id')) as {
              rows: unknown[];
            }
          ).rows;
        const types = async () =>
          (
            (await knex.raw(
              `SELECT table_name || '.' || column_name AS c, data_type AS t
                 FROM information_schema.columns
                WHERE (table_name, column_name) IN (('activities', 'id'), ('propagation_events', 'id'),
                  ('activity_followers', 'id'), ('activity_followers', 'event_id'))
                ORDER BY 1`,
            )) as { rows: Array<{ c: string; t: string }> }
          ).rows.map((r) => r.t);
        const before = await log();
        expect(await types()).to.deep.equal(['bigint', 'bigint', 'bigint', 'bigint']);
        // Rolled back in order: the later migration dropping lead_activity_nth_id first.
        await knex.transaction(async (trx) => {
          await dropNthId.down(trx);
          await bigintIds.down(trx);
        });
        expect(await types()).to.deep.equal(['integer', 'integer', 'integer', 'integer']);
        expect(await log()).to.deep.equal(before);
        await knex.transaction(async (trx) => {
          await bigintIds.up(trx);
          await dropNthId.up(trx);
        });
        expect(await types()).to.deep.equal(['bigint', 'bigint', 'bigint', 'bigint']);
        expect(await log()).to.deep.equal(before);
        const seq = (await knex.raw(
          `SELECT data_type FROM information_schema.sequences WHERE sequence_name = 'activities_id_seq'`,
        )) as { rows: Array<{ data_type: string }> };
        expect(seq.rows[0]?.data_type).to.equal('bigint');
      } finally {
        await h.drop();
      }
    });
  });
