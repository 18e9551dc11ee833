/**
 * The Salesforce outbound listener over HTTP: Lead and Contact notifications, the durable rules
 * they reach through HasOptedOutOfEmail, and what it answers on its path. Repeats and order:
 * outbound-ordering.test.ts; what it refuses: outbound-refusals.test.ts.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths, PROPAGATED_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import { testEngines } from '../support/database.js';
import { activitiesOf, attr } from '../support/harness.js';
import { rawCall, type TestService } from '../support/service.js';
import {
  ORG_ID,
  PATH_SECRET,
  attributeOf,
  bySalesforceId,
  contactRecordId,
  everything,
  expectAck,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  notificationId,
  notificationsXml,
  send,
  send1,
  type RunningListener,
  type SampleNotification,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce outbound listener over HTTP (${engine.name})`, () => {
    let service: TestService;
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    let notify: RunningListener['notify'];
    listenerPerSuite(engine, (listener) => {
      ({ service, url, services, db, fresh, notify } = listener);
    });

    describe('Lead and Contact notifications', () => {
      it('creates a lead from one Lead notification, found by SFDCLEADID over mktows', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        await notify(
          'Lead',
          recordId,
          {
            Company: 'Acme',
            Email: `ann${n}@example.com`,
            FirstName: 'Ann',
            HasOptedOutOfEmail: 'false',
            LastModifiedDate: modstampAt(1),
            LastName: 'Lee',
          },
          n,
        );
        const lead = await bySalesforceId(services, recordId);
        expect(lead).to.include({
          email: `ann${n}@example.com`,
          foreignSysPersonId: recordId,
          foreignSysType: 'SFDC',
          partition: 'Default',
          unsubscribed: false,
        });
        expect(attributeOf(lead, 'FirstName')).to.equal('Ann');
        expect(attributeOf(lead, 'LastName')).to.equal('Lee');
        expect(attributeOf(lead, 'Company')).to.equal('Acme');
        const [created] = await activitiesOf(services, lead.id);
        expect(created?.activityType).to.equal('New Lead');
        expect(attr(created, 'Source Type')).to.equal('Salesforce sync');

        const res = await rawCall(
          service.url,
          `<ns1:paramsGetLead><leadKey><keyType>SFDCLEADID</keyType><keyValue>${recordId}</keyValue></leadKey></ns1:paramsGetLead>`,
        );
        expect(res.status, res.body).to.equal(200);
        expect(res.body).to.contain('<count>1</count>');
        expect(res.body).to.contain(`<Id>${lead.id}</Id>`);
      });

      it('maps a Contact (Mailing address included), found by SFDCCONTACTID', async () => {
        const n = fresh();
        const recordId = contactRecordId(n);
        await notify(
          'Contact',
          recordId,
          {
            Email: `carla${n}@example.com`,
            FirstName: 'Carla',
            HasOptedOutOfEmail: 'true',
            LastName: 'Diaz',
            MailingCity: 'Lyon',
            OwnerId: id18('0055g00000AbCdE'),
          },
          n,
        );
        const [lead] = await services.leads.find({ keyType: 'SFDCCONTACTID', keyValue: recordId });
        expect(lead).to.include({ foreignSysPersonId: recordId, unsubscribed: true });
        expect(attributeOf(lead!, 'City')).to.equal('Lyon');
        expect((await services.durableStatus.explain(`carla${n}@example.com`)).status).to.include({
          unsubscribed: true,
          source: `Salesforce (${ORG_ID})`,
        });
      });

      it('takes a 15-character record id as its 18-character form', async () => {
        const n = fresh();
        const long = leadRecordId(n);
        await send1(url, {
          id: notificationId(n),
          type: 'Lead',
          recordId: long.slice(0, 15),
          fields: { Email: `short${n}@example.com` },
        });
        expect((await bySalesforceId(services, long)).foreignSysPersonId).to.equal(long);
      });

      it('applies many notifications in one message, in order', async () => {
        const first = fresh();
        const sample: SampleNotification[] = [];
        for (let i = 0; i < 100; i++) {
          const n = i === 0 ? first : fresh();
          sample.push({
            id: notificationId(n),
            type: i % 2 === 0 ? 'Lead' : 'Contact',
            recordId: i % 2 === 0 ? leadRecordId(n) : contactRecordId(n),
            fields: { Email: `many${n}@example.com`, HasOptedOutOfEmail: String(i % 3 === 0) },
          });
        }
        // The same record twice in one message: the later notification wins.
        const last = sample[99]!;
        sample[99] = { ...sample[98]!, id: last.id, fields: { Email: 'many-moved@example.com' } };
        expectAck(await send(url, notificationsXml(sample)));
        for (const [i, s] of sample.slice(0, 98).entries()) {
          const [lead] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: s.recordId });
          expect(lead?.unsubscribed, `notification ${i}`).to.equal(i % 3 === 0);
        }
        const moved = await bySalesforceId(services, sample[98]!.recordId);
        expect(moved.email).to.equal('many-moved@example.com');
      });
    });

    describe('the durable rules, by way of HasOptedOutOfEmail', () => {
      it('unsubscribes and re-subscribes everyone with the address, marked as from Salesforce', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const email = `dora${n}@example.com`;
        await notify(
          'Lead',
          recordId,
          { Email: email, HasOptedOutOfEmail: 'false', LastModifiedDate: modstampAt(1) },
          n,
        );
        const other = await services.leads.sync(
          { email: email.toUpperCase() },
          { path: ChangePaths.webService(), partition: 'East', matchByEmail: false },
        );
        const lead = await bySalesforceId(services, recordId);

        await notify('Lead', recordId, {
          Email: email,
          HasOptedOutOfEmail: 'true',
          LastModifiedDate: modstampAt(2),
        });
        const [both] = [await services.leads.find({ keyType: 'EMAIL', keyValue: email })];
        expect(both.map((l) => l.unsubscribed)).to.deep.equal([true, true]);
        const [own] = await activitiesOf(services, lead.id);
        expect(own?.attributes).to.deep.equal([
          ['Attribute Name', 'Unsubscribed'],
          ['Old Value', 'false'],
          ['New Value', 'true'],
          ['Reason', 'Salesforce sync'],
          ['Source', 'Salesforce'],
          ['Lead ID', String(lead.id)],
        ]);
        const [followed] = await activitiesOf(services, other.leadId);
        expect(attr(followed, 'Reason')).to.equal(PROPAGATED_REASON);
        expect(attr(followed, 'Source')).to.equal('Salesforce');

        // Clearing Email Opt Out in Salesforce re-subscribes the address.
        await notify('Lead', recordId, {
          Email: email,
          HasOptedOutOfEmail: 'false',
          LastModifiedDate: modstampAt(3),
        });
        const after = await services.leads.find({ keyType: 'EMAIL', keyValue: email });
        expect(after.map((l) => l.unsubscribed)).to.deep.equal([false, false]);
        expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(false);
        expect(await services.durableStatus.findViolations()).to.deep.equal([]);
      });

      it('never lifts an opt-out on a first report, only when Salesforce is seen to clear it', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const email = `eve${n}@example.com`;
        // Known here first (through mktows) and unsubscribed through another person.
        const here = await services.leads.sync(
          { email, foreignSysPersonId: recordId, foreignSysType: 'SFDC' },
          { path: ChangePaths.webService() },
        );
        const other = await services.leads.sync(
          { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: ChangePaths.webService(), matchByEmail: false },
        );
        expect(other.lead.unsubscribed).to.equal(true);
        await notify('Lead', recordId, {
          Email: email,
          HasOptedOutOfEmail: 'false',
          Phone: '+33 1 23',
        });
        let lead = await bySalesforceId(services, recordId);
        expect(lead.id).to.equal(here.leadId);
        expect(lead.unsubscribed).to.equal(true);
        expect(attributeOf(lead, 'Phone')).to.equal('+33 1 23');

        for (const optedOut of ['true', 'false']) {
          await notify('Lead', recordId, { Email: email, HasOptedOutOfEmail: optedOut });
        }
        lead = await bySalesforceId(services, recordId);
        expect(lead.unsubscribed).to.equal(false);
      });

      it('applies only what changed in Salesforce: an old value repeated does not undo a change made here', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        await notify('Lead', recordId, { Email: `fay${n}@example.com`, LastName: 'Old' }, n);
        const lead = await bySalesforceId(services, recordId);
        await services.leads.changeEmail(
          lead.id,
          `fay${n}@elsewhere.example`,
          ChangePaths.webService(),
        );
        await notify('Lead', recordId, { Email: `fay${n}@example.com`, LastName: 'New' });
        const now = await bySalesforceId(services, recordId);
        expect(now.email).to.equal(`fay${n}@elsewhere.example`);
        expect(attributeOf(now, 'LastName')).to.equal('New');
      });

      it('follows rule 5 when Salesforce changes the address', async () => {
        const n = fresh();
        const recordId = contactRecordId(n);
        const blocked = `gus${n}@example.com`;
        await services.leads.sync(
          { email: blocked, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: ChangePaths.webService() },
        );
        await notify(
          'Contact',
          recordId,
          { Email: `gus${n}@new.example`, HasOptedOutOfEmail: 'false' },
          n,
        );
        const lead = async () =>
          (await services.leads.find({ keyType: 'SFDCCONTACTID', keyValue: recordId }))[0]!;
        expect((await lead()).unsubscribed).to.equal(false);
        await notify('Contact', recordId, { Email: blocked, HasOptedOutOfEmail: 'false' });
        expect((await lead()).unsubscribed).to.equal(true);
        expect(attr((await activitiesOf(services, (await lead()).id))[0], 'Reason')).to.equal(
          'System flow action sysActionChangeDataValue resetLeadEmailStatus',
        );
      });
    });

    describe('HTTP', () => {
      it('serves its WSDL at ?wsdl with the address it was fetched from', async () => {
        const res = await fetch(`${url}?WSDL`);
        expect(res.status).to.equal(200);
        const text = await res.text();
        expect(text).to.contain(`<soap:address location="${url}"/>`);
        expect(text).to.contain('targetNamespace="http://soap.sforce.com/2005/09/outbound"');
      });

      it('answers PUT and DELETE with a fault and 405, a GET without ?wsdl with a fault and 404', async () => {
        for (const [method, status] of [
          ['GET', 404],
          ['PUT', 405],
          ['DELETE', 405],
        ] as const) {
          const res = await fetch(url, { method });
          expect(res.status, method).to.equal(status);
          expect(await res.text()).to.contain('<faultcode>SOAP-ENV:Client</faultcode>');
        }
      });

      it('answers 404 at any other path below the listener, changing nothing', async () => {
        const n = fresh();
        const before = await everything(db);
        const xml = notificationsXml([
          {
            id: notificationId(n),
            type: 'Lead',
            recordId: leadRecordId(n),
            fields: { Email: `guess${n}@example.com`, HasOptedOutOfEmail: 'true' },
          },
        ]);
        for (const path of ['', '/guess', `/${PATH_SECRET}/more`]) {
          const res = await send(`${service.base}/soap/salesforce/outbound${path}`, xml);
          expect(res.status, path).to.equal(404);
          expect(res.body).to.equal('Not found\n');
        }
        expect(await everything(db)).to.deep.equal(before);
      });
    });
  });
}
