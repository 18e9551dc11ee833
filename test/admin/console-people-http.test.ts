import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { EVIL, consolePerTest, until, type AdminClient } from './support.js';

const web = ChangePaths.webService();

/** An address's status set from its page, its people paged, and people changed in bulk. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: addresses and people (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('suppresses an address nobody holds, and lifts a complaint only when confirmed', async () => {
      const suppress = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'Nobody@Example.com',
        unsubscribed: 'true',
        reason: 'complaint',
      });
      expect(suppress.status).to.equal(303);
      expect(suppress.location).to.equal(
        '/admin/address?email=Nobody%40Example.com&saved=unsubscribed',
      );
      const status = (await services.durableStatus.explain('nobody@example.com')).status;
      expect(status).to.include({
        unsubscribed: true,
        reason: 'complaint',
        source: 'Address status (alice)',
      });
      // A reason is required.
      const blank = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'nobody@example.com',
        unsubscribed: 'false',
        reason: ' ',
      });
      expect(blank.status).to.equal(400);
      // Lifting a complaint without the confirmation changes nothing and asks for it.
      const unconfirmed = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'nobody@example.com',
        unsubscribed: 'false',
        reason: 'asked again',
      });
      expect(unconfirmed.status).to.equal(409);
      expect(unconfirmed.body).to.include('I confirm lifting a complaint suppression');
      expect(
        (await services.durableStatus.explain('nobody@example.com')).status?.unsubscribed,
      ).to.equal(true);
      // A person created now takes the suppression (rule 3), and follows its lifting.
      const person = await services.leads.sync({ email: 'nobody@example.com' }, { path: web });
      expect(person.lead.unsubscribed).to.equal(true);
      const confirmed = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'nobody@example.com',
        unsubscribed: 'false',
        reason: 'asked again',
        liftProtected: 'yes',
      });
      expect(confirmed.status).to.equal(303);
      const [after] = await services.leads.find({
        keyType: 'EMAIL',
        keyValue: 'nobody@example.com',
      });
      expect(after!.unsubscribed).to.equal(false);
      const log = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(person.leadId),
      });
      expect(log.activities[0]).to.include({ actor: 'alice', causeLeadId: null });
      const page = await client.get(`/admin/people/${person.leadId}`);
      expect(page.body).to.include('Re-subscribed because its address was lifted (Address status)');
      expect(page.body).to.include('Re-derived from the address on creation');
      expect(page.body).to.match(/\d\d:\d\d:\d\d\.\d{3} UTC/);
    });

    it('pages an address held by many people instead of sending them all', async () => {
      const inputs = Array.from({ length: 130 }, (_, i) => ({
        email: 'many@example.com',
        foreignSysPersonId: `M${i}`,
      }));
      await services.leads.syncMany(inputs, { path: web, matchByEmail: false });
      const first = await client.get('/admin/address?email=many%40example.com');
      expect(first.body).to.match(/People with this address \(130 in 1\s+partition\)/);
      const rows = (body: string) => (body.match(/data-label="Email as stored"/g) ?? []).length;
      expect(rows(first.body)).to.equal(50);
      const more = /href="([^"]+people_after=\d+[^"]*)">More people/.exec(first.body)?.[1];
      expect(more).to.be.a('string');
      const second = await client.get(more!.replace(/&amp;/g, '&'));
      expect(rows(second.body)).to.equal(50);
      const third = await client.get(
        /href="([^"]+people_after=\d+[^"]*)">More people/
          .exec(second.body)![1]!
          .replace(/&amp;/g, '&'),
      );
      expect(rows(third.body)).to.equal(30);
      expect(third.body).to.not.include('>More people');
      const [someone] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: 'M7' });
      const person = await client.get(`/admin/people/${someone!.id}`);
      expect(person.body).to.match(/Others with this address \(129 in 1\s+partition\)/);
      expect((person.body.match(/data-label="Email as stored"/g) ?? []).length).to.equal(20);
      expect(person.body).to.include('All 129 on the address page');
      const search = await client.get('/admin/?q=MANY%40example.com');
      expect(search.body).to.include('130 people match');
      expect(search.body).to.include('the first 50 are shown');
      expect((search.body.match(/data-label="Partition"/g) ?? []).length).to.equal(50);
      // The page grows with the page size, not with the people on the address.
      expect(first.body.length).to.be.below(second.body.length * 1.2);
    });

    it('previews, confirms and runs a Change Data Value, echoing what was typed escaped', async () => {
      const a = await services.leads.sync({ email: 'p1@example.com' }, { path: web });
      const b = await services.leads.sync({ email: 'p2@example.com' }, { path: web });
      await services.leads.sync(
        { email: 'p2@example.com' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      const form = {
        _csrf: client.csrf,
        list: `${a.leadId}\np2@example.com`,
        field: 'Unsubscribed',
        value: 'true',
        reason: EVIL,
      };
      const evil = await client.post('/admin/bulk/preview', { ...form, list: `${EVIL}` });
      expect(evil.status).to.equal(400);
      expect(evil.body).to.not.include('<script>alert(1)');
      const preview = await client.post('/admin/bulk/preview', form);
      expect(preview.status).to.equal(200);
      expect(preview.body).to.match(
        /People selected<\/dt>\s*<dd>\s*3 people in 2 partitions\s*<\/dd>/,
      );
      expect(preview.body).to.not.include('<script>alert(1)');
      expect(preview.body).to.include(
        'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"',
      );
      expect(
        (await services.leads.find({ keyType: 'IDNUM', keyValue: String(a.leadId) }))[0]!
          .unsubscribed,
      ).to.equal(false);
      const started = await client.post('/admin/bulk/start', form);
      expect(started.status).to.equal(303);
      const jobId = Number(/jobs\/(\d+)$/.exec(started.location!)![1]);
      await until(
        async () => (await services.bulkChanges.status(jobId)).job.state === 'done',
        'the job',
      );
      const page = await client.get(started.location!);
      expect(page.body).to.include('Finished: 3 of 3 people.');
      expect(page.body).to.match(/Changed<\/dt>\s*<dd>3<\/dd>/);
      const [pa] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(a.leadId) });
      expect(pa!.unsubscribed).to.equal(true);
      const log = await client.get(`/admin/people/${b.leadId}`);
      expect(log.body).to.include('Unsubscribed (Change Data Value flow step)');
      expect(log.body).to.match(/data-label="By"[^>]*>\s*alice/);
      // Re-subscribing people whose address has a complaint needs the explicit tick.
      await services.durableStatus.setAddressStatus({
        address: 'p1@example.com',
        unsubscribed: false,
        path: ChangePaths.addressStatus('alice'),
        reason: 'reset for the test',
        confirmProtected: false,
        now: Date.now(),
      });
      await services.durableStatus.setAddressStatus({
        address: 'p1@example.com',
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'Complaint',
        confirmProtected: false,
        now: Date.now(),
      });
      const lift = { ...form, value: 'false', reason: '' };
      const liftPreview = await client.post('/admin/bulk/preview', lift);
      expect(liftPreview.body).to.include('1 of these addresses were suppressed for a');
      expect(liftPreview.body).to.include('I confirm lifting complaint suppressions');
      const refused = await client.post('/admin/bulk/start', lift);
      expect(refused.status).to.equal(400);
      expect(refused.body).to.include('confirm that explicitly');
      expect((await services.bulkChanges.recent()).length).to.equal(1);
      const lifted = await client.post('/admin/bulk/start', { ...lift, liftProtected: 'yes' });
      expect(lifted.status).to.equal(303);
      // A search that narrows nothing is refused: no change to everyone by accident.
      const everyone = await client.post('/admin/bulk/preview', { ...form, list: '' });
      expect(everyone.status).to.equal(400);
    });
  });
}
