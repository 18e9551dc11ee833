import { expect } from 'chai';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { createServices } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  emailKeyOf,
  expectNoViolations,
  web,
  type Harness,
} from '../support/harness.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import { heldLead } from '../support/records.js';
import { openUnitOfWork } from '../support/step-units.js';

for (const engine of testEngines()) {
  describe(`combined writes (${engine.name})`, () => {
    let h: Harness;
    let uow: UnitOfWork;

    before(async () => ({ h, uow } = await openUnitOfWork(engine)));
    after(() => h.drop());

    it('updateLogged writes the change and its activities in the order given', async () => {
      const id = await createLead(h.services, 'logged@x.example');
      const after = await uow.write((r) =>
        r.updateLogged(heldLead(id), { columns: { first_name: 'Ann' } }, 5, [
          { leadId: id, activityType: 'Change Data Value', createdAt: 5, attributeName: 'One' },
          { leadId: id, activityType: 'Change Data Value', createdAt: 5, attributeName: 'Two' },
          { leadId: id, activityType: 'Change Data Value', createdAt: 5, attributeName: 'Three' },
        ]),
      );
      expect(after).to.include({ id, updatedAt: 5 });
      expect(after!.columns.first_name).to.equal('Ann');
      // Newest first.
      const names = (await activitiesOf(h.services, id))
        .slice(0, 3)
        .map((a) => attr(a, 'Attribute Name'));
      expect(names).to.deep.equal(['Three', 'Two', 'One']);
    });

    it('updateLogged of a missing lead writes nothing and answers null', async () => {
      const before = await h.db.knex('activities').count({ n: '*' });
      const after = await uow.write((r) =>
        r.updateLogged(heldLead(999999), { columns: { first_name: 'X' } }, 6, [
          { leadId: 999999, activityType: 'Change Data Value', createdAt: 6 },
        ]),
      );
      expect(after).to.equal(null);
      expect(await h.db.knex('activities').count({ n: '*' })).to.deep.equal(before);
    });

    it('setStatusAndPropagate writes the master status, its history and the followers', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push(await createLead(h.services, 'shared@x.example'));
      const people = await uow.write(async (r) => {
        const n = await r.setStatusAndPropagate(
          {
            emailKey: 'shared@x.example',
            unsubscribed: true,
            reason: 'why',
            source: 'test',
            leadId: ids[0]!,
            changedAt: 7,
          },
          ids[0]!,
          { attributeName: 'Unsubscribed', reason: 'propagated', source: 'test' },
        );
        const flagsNow = await r.leads.findByIds(ids);
        // The lead that caused it is left to its caller (as the domain then updates it).
        expect(flagsNow.map((l) => l.unsubscribed)).to.deep.equal([false, true, true]);
        await r.leads.update(ids[0]!, { unsubscribed: true }, 7);
        return n;
      });
      expect(people).to.equal(2);
      const report = await h.services.durableStatus.explain('shared@x.example');
      expect(report.status).to.include({ unsubscribed: true, reason: 'why', leadId: ids[0] });
      expect(report.history.map((x) => x.changedAt)).to.deep.equal([7]);
      const followed = await activitiesOf(h.services, ids[1]!);
      expect(attr(followed[0], 'Reason')).to.equal('propagated');
    });

    it('an unsubscribe tells the metrics how many people followed', async () => {
      const told: number[] = [];
      const s = createServices(
        h.db,
        { customFields: [], defaultPartition: 'Default' },
        {
          onPropagation: (n) => told.push(n),
        },
      );
      for (let i = 0; i < 4; i++) await createLead(s, 'metric@x.example');
      await s.leads.sync(
        { email: 'metric@x.example', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
      expect(told).to.deep.equal([3]);
      expect(
        (await s.leads.find(emailKeyOf('metric@x.example'))).map((l) => l.unsubscribed),
      ).to.deep.equal([true, true, true, true]);
      await expectNoViolations(s);
    });

    it('values holding ?, $1, quotes and backslashes are stored as given', async () => {
      const email = "q?$1'\\x@x.example";
      const name = "?$2 O'Brien \\ -- ?";
      const ids = [await createLead(h.services, email), await createLead(h.services, email)];
      await h.services.leads.sync(
        {
          id: ids[0]!,
          attributes: [
            { name: 'FirstName', value: name },
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'why?' },
          ],
        },
        { path: web },
      );
      const report = await h.services.durableStatus.explain(email);
      expect(report.emailKey).to.equal(email);
      expect(report.status).to.include({ emailKey: email, unsubscribed: true, reason: 'why?' });
      expect(report.leads.map((l) => l.unsubscribed)).to.deep.equal([true, true]);
      const [first] = await h.services.leads.find({ keyType: 'IDNUM', keyValue: String(ids[0]) });
      expect(first!.attributes.find((a) => a.name === 'FirstName')?.value).to.equal(name);
    });

    it('concurrent unsubscribes and re-subscribes of one address end consistent', async () => {
      const email = 'race@x.example';
      for (let i = 0; i < 4; i++) await createLead(h.services, email);
      const other = h.openAnother();
      const calls = Array.from({ length: 24 }, (_, i) =>
        (i % 3 === 0 ? other : h.services).leads.sync(
          { email, attributes: [{ name: 'Unsubscribed', value: String(i % 2 === 0) }] },
          { path: web },
        ),
      );
      await Promise.all(calls);
      await expectNoViolations(h.services);
      const report = await h.services.durableStatus.explain(email);
      // Every change of the master status was recorded, alternating, and the last is current.
      const flags = report.history.map((x) => x.unsubscribed);
      for (let i = 1; i < flags.length; i++) expect(flags[i]).to.not.equal(flags[i - 1]);
      expect(report.status?.unsubscribed).to.equal(flags[flags.length - 1]);
      expect(report.leads.map((l) => l.unsubscribed)).to.deep.equal(
        report.leads.map(() => report.status!.unsubscribed),
      );
    });

    if (engine.name === 'postgres') {
      it('an unsubscribe by address is one round trip in its transaction (its checked step)', async () => {
        for (let i = 0; i < 3; i++) await createLead(h.services, 'trips@x.example');
        const sent = await pgMessagesWhile(() =>
          h.services.leads.sync(
            { email: 'trips@x.example', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            { path: web },
          ),
        );
        const begin = sent.findIndex((s) => /^BEGIN/i.test(s));
        // BEGIN, the address lock, the check of the plain read under it (and the lead FOR
        // UPDATE), status + followers, the lead + its log, and COMMIT (sql/pg-step.ts). The
        // locked path's two: deferred-begin.test.ts. Each statement as it is, or as EXECUTE
        // of its form kept prepared once seen before (sql/pg-step-forms.ts).
        expect(sent.slice(begin)).to.have.length(1);
        expect(sent[begin]).to.match(
          /^BEGIN; .*pg_advisory_xact_lock.*; (SELECT stale_read_unless|EXECUTE du_f_).*; (WITH s AS|EXECUTE du_f_).*; (WITH u AS|EXECUTE du_f_).*; COMMIT;$/s,
        );
      });
    }
  });
}
