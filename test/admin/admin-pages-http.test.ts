import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { AdminClient, addressFlags, addressPerTest, postPersonFlag } from './support.js';

const web = ChangePaths.webService();

/** What an operator sees and does: search, a person, an address, the re-subscribe form. */
for (const engine of testEngines()) {
  describe(`operator pages over HTTP: people and addresses (${engine.name})`, () => {
    let svc: TestService;
    let services: Services;
    let ids: { a: number; b: number };
    addressPerTest(engine, (page) => ({ svc, services, ids } = page));

    it('re-subscribes through the form with the durable rules, Person detail and the operator', async () => {
      const client = new AdminClient(svc.base);
      await client.logIn();
      // First the consequences: whom the change reaches, and nothing changed yet.
      const preview = await postPersonFlag(client, ids.b, { unsubscribed: false, confirm: false });
      expect(preview.status).to.equal(200);
      expect(preview.body).to.match(
        /This re-subscribes <strong>2<\/strong>\s+people on [^<]+ in\s+<strong>2<\/strong>\s+partitions/,
      );
      expect(preview.body).to.include(`href="/admin/people/${ids.a}"`);
      expect(await addressFlags(services)).to.deep.equal([true, true]);
      const reply = await postPersonFlag(client, ids.b, { unsubscribed: false });
      expect(reply.status).to.equal(303);
      expect(reply.location).to.equal(`/admin/people/${ids.b}?saved=resubscribed`);
      expect(await addressFlags(services)).to.deep.equal([false, false]);
      const report = await services.durableStatus.explain('ann@example.com');
      expect(report.status).to.include({
        unsubscribed: false,
        source: 'Person detail (alice)',
        leadId: ids.b,
      });
      const own = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(ids.b),
      });
      expect(own.activities[0]?.attributes).to.deep.include(['Reason', 'Person detail']);
      const follower = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(ids.a),
      });
      expect(follower.activities[0]?.attributes).to.deep.include(['Reason', PROPAGATED_REASON]);

      const page = await client.get(reply.location!);
      expect(page.body).to.include('Saved: re-subscribed, and so is every person with');
      const again = await postPersonFlag(client, ids.b, { unsubscribed: false, confirm: false });
      expect(again.location).to.equal(`/admin/people/${ids.b}?saved=unchanged`);

      const unsub = await postPersonFlag(client, ids.a, {
        unsubscribed: true,
        reason: 'Asked by phone',
      });
      expect(unsub.location).to.equal(`/admin/people/${ids.a}?saved=unsubscribed`);
      expect(await addressFlags(services)).to.deep.equal([true, true]);
      expect((await services.durableStatus.explain('ann@example.com')).status?.reason).to.equal(
        'Asked by phone',
      );
    });

    it('escapes what people hold, in every page', async () => {
      const evil = '<script>alert(1)</script>"\'';
      const x = await services.leads.sync(
        {
          email: 'x"<b>@example.com',
          foreignSysPersonId: '<i>fid',
          attributes: [
            { name: 'FirstName', value: evil },
            { name: 'UnsubscribedReason', value: evil },
          ],
        },
        { path: web },
      );
      const client = new AdminClient(svc.base);
      await client.logIn();
      for (const path of [
        `/admin/people/${x.leadId}`,
        `/admin/?q=${encodeURIComponent('x"<b>@example.com')}`,
        `/admin/?q=${encodeURIComponent('<i>fid')}`,
        `/admin/address?email=${encodeURIComponent('x"<b>@example.com')}`,
        `/admin/?q=${encodeURIComponent(evil)}`,
      ]) {
        const page = await client.get(path);
        expect(page.status, path).to.equal(200);
        expect(page.body, path).to.not.include('<script>');
        expect(page.body, path).to.not.include('<b>');
        expect(page.body, path).to.not.include('<i>');
        expect(page.body, path).to.match(/&lt;(script|b|i)&gt;/);
      }
    });

    it('finds people by email whatever the case, by id and by foreign id', async () => {
      await services.leads.sync(
        { foreignSysPersonId: String(ids.a), email: 'f@example.com' },
        { path: web },
      );
      const client = new AdminClient(svc.base);
      await client.logIn();
      const byEmail = await client.get('/admin/?q=' + encodeURIComponent(' ann@EXAMPLE.com'));
      expect(byEmail.body).to.include('2 people match');
      expect(byEmail.body).to.include(`href="/admin/people/${ids.a}"`);
      expect(byEmail.body).to.include(`href="/admin/people/${ids.b}"`);
      expect(byEmail.body).to.include('East');
      // A number is an id and a foreign id at once.
      const byNumber = await client.get(`/admin/?q=${ids.a}`);
      expect(byNumber.body).to.include('2 people match');
      expect(byNumber.body).to.include('f@example.com');
      const none = await client.get('/admin/?q=nobody%40example.com');
      expect(none.body).to.include('Nobody matches');
      expect(none.body).to.include('href="/admin/address?email=nobody%40example.com"');
    });

    it('answers a search or an address holding a control character (NUL) with 400, on every engine', async () => {
      const client = new AdminClient(svc.base);
      await client.logIn();
      for (const path of ['/admin/?q=a%00b', '/admin/address?email=a%00b%40example.com']) {
        const res = await client.get(path);
        expect(res.status, path).to.equal(400);
        expect(res.body, path).to.include('control character');
      }
    });

    it('shows an address: master status, full history and every person in every partition', async () => {
      await services.leads.setUnsubscribed(ids.a, false, ChangePaths.personDetail('bob'));
      const client = new AdminClient(svc.base);
      await client.logIn();
      const page = await client.get(
        '/admin/address?email=' + encodeURIComponent('ANN@example.COM'),
      );
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Master status of ann@example.com');
      expect(page.body).to.include('History (2)');
      expect(page.body).to.include('Person detail (bob)');
      expect(page.body).to.include('Web service API');
      expect(page.body).to.match(/People with this address \(2 in 2\s+partitions\)/);
      expect(page.body).to.include('Default');
      expect(page.body).to.include('East');
      // Newest first.
      expect(page.body.indexOf('Person detail (bob)')).to.be.lessThan(
        page.body.indexOf('Web service API'),
      );
    });

    it('pages the activity log newest first', async () => {
      for (let i = 0; i < 30; i++) {
        await services.leads.sync(
          { id: ids.a, attributes: [{ name: 'LeadScore', value: String(i) }] },
          { path: web },
        );
      }
      const client = new AdminClient(svc.base);
      await client.logIn();
      const first = await client.get(`/admin/people/${ids.a}`);
      const rows = (body: string) =>
        (body.match(/data-label="When"[^>]*>\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/g) ?? [])
          .length;
      expect(rows(first.body)).to.equal(25);
      const total = (
        await services.activities.listForLead({ keyType: 'IDNUM', keyValue: String(ids.a) })
      ).returnCount;
      expect(total).to.be.greaterThan(30);
      const older =
        /href="(\/admin\/people\/\d+\?before=\d+)#activity"\s*>Older activities \((\d+) more\)/.exec(
          first.body,
        );
      expect(older?.[2]).to.equal(String(total - 25));
      const second = await client.get(older![1]!);
      expect(rows(second.body)).to.equal(total - 25);
      expect(second.body).to.include('New Lead');
      expect(second.body).to.not.include('Older activities');
      expect(second.body).to.include('Newest activities');
      expect((await client.get(`/admin/people/${ids.a}?before=x`)).status).to.equal(400);
      expect((await client.get('/admin/people/999999')).status).to.equal(404);
      expect((await client.get('/admin/people/abc')).status).to.equal(404);
    });
  });
}
