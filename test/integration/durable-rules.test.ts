/**
 * The durable unsubscribe rules 1 to 4 of docs/how-it-works.md (unsubscribe, re-subscribe,
 * creating, deleting and recreating a person) on both engines; rules 5 to 7 and addresses
 * held oddly: durable-address-rules.test.ts; rule 8 (concurrency): concurrency.test.ts.
 */
import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import { createServices, type Services } from '../../src/compose.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  emailKeyOf,
  expectAppError,
  flagChange,
  flags,
  getLead,
  idKey,
  setFlag,
  web,
  harnessPerSuite,
} from '../support/harness.js';

for (const engine of testEngines()) {
  describe(`durable unsubscribe rules 1-4 (${engine.name})`, () => {
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      s = opened.services;
    });

    const history = async (address: string) => (await s.durableStatus.explain(address)).history;
    const status = async (address: string) => (await s.durableStatus.explain(address)).status;

    describe('rule 1: unsubscribe', () => {
      it('unsubscribes every lead of the address in every partition and the master status', async () => {
        const a = await createLead(s, 'rule1@example.com');
        const b = await createLead(s, ' RULE1@Example.COM ', { partition: 'East' });
        const c = await createLead(s, 'Rule1@example.com', { partition: 'West' });
        const other = await createLead(s, 'rule1-other@example.com');
        expect(await status('rule1@example.com')).to.equal(null);

        await setFlag(s, a, true);

        expect(await flags(s, [a, b, c, other])).to.deep.equal([true, true, true, false]);
        expect(await status('RULE1@example.com')).to.include({
          emailKey: 'rule1@example.com',
          unsubscribed: true,
          leadId: a,
          reason: 'Web service API',
          source: 'Web service API',
        });
        expect((await activitiesOf(s, a))[0]?.attributes).to.deep.equal(
          flagChange(a, false, true, 'Web service API', 'Web service API'),
        );
        for (const id of [b, c]) {
          expect((await activitiesOf(s, id))[0]?.attributes).to.deep.equal(
            flagChange(id, false, true, PROPAGATED_REASON, 'Web service API'),
          );
        }
        expect((await activitiesOf(s, other)).map((x) => x.activityType)).to.deep.equal([
          'New Lead',
        ]);
        expect(await status('rule1-other@example.com')).to.equal(null);
      });

      it('holds for every path: Salesforce sync, operator with a reason, match by email, batch', async () => {
        // Salesforce sync; the actor is kept in the master status source.
        const sf1 = await createLead(s, 'r1-sf@example.com');
        const sf2 = await createLead(s, 'r1-sf@example.com', { partition: 'East' });
        await setFlag(s, sf1, true, ChangePaths.salesforce('sf-user'));
        expect(await flags(s, [sf1, sf2])).to.deep.equal([true, true]);
        expect(await status('r1-sf@example.com')).to.include({
          source: 'Salesforce (sf-user)',
          reason: 'Salesforce sync',
        });
        expect(attr((await activitiesOf(s, sf1))[0], 'Reason')).to.equal('Salesforce sync');
        expect((await activitiesOf(s, sf2))[0]?.attributes).to.deep.equal(
          flagChange(sf2, false, true, PROPAGATED_REASON, 'Salesforce'),
        );

        // An operator on the person detail page, giving a reason.
        const op1 = await createLead(s, 'r1-op@example.com');
        const op2 = await createLead(s, 'r1-op@example.com', { partition: 'West' });
        const view = await s.leads.setUnsubscribed(
          op2,
          true,
          ChangePaths.personDetail('operator'),
          'asked by phone',
        );
        expect(view.unsubscribed).to.equal(true);
        expect(view.attributes).to.deep.include({
          name: 'UnsubscribedReason',
          type: 'text',
          value: 'asked by phone',
        });
        expect(await flags(s, [op1, op2])).to.deep.equal([true, true]);
        expect(await status('r1-op@example.com')).to.include({
          reason: 'asked by phone',
          source: 'Person detail (operator)',
          leadId: op2,
        });
        const opActs = await activitiesOf(s, op2);
        expect(opActs.map((x) => attr(x, 'Attribute Name')).slice(0, 2)).to.have.members([
          'Unsubscribed',
          'Unsubscribed Reason',
        ]);

        // syncLead matched by email alone (no id): the matched lead changes, the rest follow.
        const m1 = await createLead(s, 'r1-match@example.com');
        const m2 = await createLead(s, 'r1-match@example.com', { partition: 'East' });
        const matched = await s.leads.sync(
          { email: 'R1-MATCH@example.com', attributes: [{ name: 'Unsubscribed', value: '1' }] },
          { path: web },
        );
        expect(matched.status).to.equal('UPDATED');
        expect([m1, m2]).to.include(matched.leadId);
        expect(await flags(s, [m1, m2])).to.deep.equal([true, true]);

        // syncMultipleLeads.
        const b1 = await createLead(s, 'r1-batch@example.com');
        const b2 = await createLead(s, 'r1-batch@example.com', { partition: 'South' });
        const results = await s.leads.syncMany(
          [{ id: b2, attributes: [{ name: 'Unsubscribed', value: 'true' }] }],
          { path: web },
        );
        expect(results[0]).to.include({ leadId: b2, status: 'UPDATED' });
        expect(await flags(s, [b1, b2])).to.deep.equal([true, true]);
        expect(await status('r1-batch@example.com')).to.include({ unsubscribed: true, leadId: b2 });
      });
    });

    describe('rule 2: re-subscribe', () => {
      it('re-subscribes every lead of the address and the master status', async () => {
        const a = await createLead(s, 'rule2@example.com');
        const b = await createLead(s, 'RULE2@example.com', { partition: 'East' });
        const c = await createLead(s, 'rule2@EXAMPLE.com', { partition: 'West' });
        await setFlag(s, a, true);
        expect(await flags(s, [a, b, c])).to.deep.equal([true, true, true]);

        await setFlag(s, b, false, ChangePaths.salesforce());

        expect(await flags(s, [a, b, c])).to.deep.equal([false, false, false]);
        expect(await status('rule2@example.com')).to.include({
          unsubscribed: false,
          leadId: b,
          reason: 'Salesforce sync',
        });
        expect((await history('rule2@example.com')).map((x) => x.unsubscribed)).to.deep.equal([
          true,
          false,
        ]);
        expect((await activitiesOf(s, b))[0]?.attributes).to.deep.equal(
          flagChange(b, true, false, 'Salesforce sync', 'Salesforce'),
        );
        for (const id of [a, c]) {
          expect((await activitiesOf(s, id))[0]?.attributes).to.deep.equal(
            flagChange(id, true, false, PROPAGATED_REASON, 'Salesforce'),
          );
        }
      });
    });

    describe('rule 3: creating a person', () => {
      it('a create with Unsubscribed=false on an unsubscribed address stays unsubscribed', async () => {
        const x = await createLead(s, 'rule3@example.com');
        await setFlag(s, x, true);
        const xActivities = (await activitiesOf(s, x)).length;

        const created = await s.leads.sync(
          { email: ' Rule3@Example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
          { path: web, partition: 'South', matchByEmail: false },
        );

        expect(created.status).to.equal('CREATED');
        expect(created.lead.unsubscribed).to.equal(true);
        expect(created.lead.email).to.equal('Rule3@Example.com');
        expect(created.lead.partition).to.equal('South');
        const acts = await activitiesOf(s, created.leadId);
        expect(acts.map((a) => a.activityType)).to.deep.equal(['Change Data Value', 'New Lead']);
        expect(acts[0]?.attributes).to.deep.equal(
          flagChange(created.leadId, false, true, RESET_REASON, 'Web service API'),
        );
        // The master status is only read, never written, and the other lead is not touched.
        expect(await history('rule3@example.com')).to.have.length(1);
        expect(await activitiesOf(s, x)).to.have.length(xActivities);

        // Without any flag in the request, and matching by email with no lead left: the same.
        const plain = await createLead(s, 'RULE3@example.com');
        expect((await getLead(s, plain)).unsubscribed).to.equal(true);
        await s.leads.delete(emailKeyOf('rule3@example.com'), web);
        const again = await s.leads.sync(
          { email: 'rule3@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
          { path: web },
        );
        expect(again.status).to.equal('CREATED');
        expect(again.lead.unsubscribed).to.equal(true);
      });

      it('a create with Unsubscribed=true applies rule 1', async () => {
        const y = await createLead(s, 'rule3b@example.com', { partition: 'East' });
        const z = await createLead(s, 'RULE3B@example.com', { unsubscribed: true });

        expect(await flags(s, [y, z])).to.deep.equal([true, true]);
        expect(await status('rule3b@example.com')).to.include({ unsubscribed: true, leadId: z });
        expect((await activitiesOf(s, y))[0]?.attributes).to.deep.equal(
          flagChange(y, false, true, PROPAGATED_REASON, 'Web service API'),
        );

        // Creating another unsubscribed lead there changes no status: nothing to propagate.
        const w = await createLead(s, 'rule3b@example.com', { unsubscribed: true });
        expect((await getLead(s, w)).unsubscribed).to.equal(true);
        expect(await history('rule3b@example.com')).to.have.length(1);
      });

      it('a create on a subscribed or unknown address keeps what the request said', async () => {
        const known = await createLead(s, 'rule3c@example.com');
        await setFlag(s, known, true);
        await setFlag(s, known, false);
        const n = await createLead(s, 'rule3c@example.com', { unsubscribed: false });
        const fresh = await createLead(s, 'rule3c-fresh@example.com');
        expect(await flags(s, [n, fresh])).to.deep.equal([false, false]);
        expect((await activitiesOf(s, n)).map((a) => a.activityType)).to.deep.equal(['New Lead']);
      });
    });

    describe('rule 4: deleting and recreating', () => {
      it('deleting never touches the master status, so a re-created person is unsubscribed again', async () => {
        const a = await createLead(s, 'rule4@example.com');
        const b = await createLead(s, 'rule4@example.com', { partition: 'East' });
        await setFlag(s, a, true);
        const before = await s.durableStatus.explain('rule4@example.com');

        expect(await s.leads.delete(idKey(a), web)).to.deep.equal([a]);
        expect((await getLead(s, b)).unsubscribed).to.equal(true);
        expect(await s.leads.delete(emailKeyOf('RULE4@example.com'), web)).to.deep.equal([b]);

        const after = await s.durableStatus.explain('rule4@example.com');
        expect(after.status).to.deep.equal(before.status);
        expect(after.history).to.deep.equal(before.history);
        expect(after.leads).to.deep.equal([]);
        await expectAppError(
          s.leads.find(emailKeyOf('rule4@example.com')),
          ErrorCode.LEAD_NOT_FOUND,
        );

        const c = await s.leads.sync(
          { email: 'rule4@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
          { path: web },
        );
        expect(c.status).to.equal('CREATED');
        expect(c.lead.unsubscribed).to.equal(true);
        expect(attr((await activitiesOf(s, c.leadId))[0], 'Reason')).to.equal(RESET_REASON);
      });
    });
  });
}

describe('master status source', () => {
  it('cuts a long actor name instead of failing the write', async () => {
    for (const engine of testEngines()) {
      const made = await engine.create();
      try {
        const services = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
        const path = ChangePaths.webService('u'.repeat(128));
        const lead = await services.leads.sync({ email: 'long-actor@example.com' }, { path });
        await services.leads.setUnsubscribed(lead.leadId, true, path);
        const status = (await services.durableStatus.explain('long-actor@example.com')).status;
        expect(status?.source).to.have.length(128);
        expect(status?.source.startsWith('Web service API (uuu')).to.equal(true);
      } finally {
        await made.drop();
      }
    }
  });
});
