import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths, PROPAGATED_REASON } from '../../src/domain/change-paths.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { id18 } from '../../src/salesforce/salesforce-id.js';
import { testEngines } from '../support/database.js';
import { activitiesOf, attr } from '../support/harness.js';
import { rawCall, startTestService, type TestService } from '../support/service.js';
import {
  ORG_ID,
  PATH_SECRET,
  contactRecordId,
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  send,
  send1,
  type SampleNotification,
} from './support.js';

const at = (second: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, second)).toISOString();

async function bySalesforceId(services: Services, recordId: string): Promise<LeadView> {
  const [lead, ...more] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: recordId });
  expect(more).to.have.length(0);
  return lead!;
}

function attributeOf(lead: LeadView, name: string): string | undefined {
  return lead.attributes.find((a) => a.name === name)?.value;
}

for (const engine of testEngines()) {
  describe(`Salesforce outbound listener over HTTP (${engine.name})`, () => {
    let service: TestService;
    let url: string;
    let services: Services;
    let db: Database;
    let next = 0;
    /** A fresh record number, notification number and address for each use. */
    const fresh = () => ++next;
    /** Sends one notification of the record (its number `n`, a fresh one unless given). */
    const notify = (
      type: 'Lead' | 'Contact',
      recordId: string,
      fields: Record<string, string | null>,
      n = fresh(),
    ) => send1(url, { id: notificationId(n), type, recordId, fields });

    before(async () => {
      service = await startTestService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
      url = listenerUrl(service.base);
      services = service.running.services;
      db = service.running.database;
    });
    after(() => service.stop());

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
            LastModifiedDate: at(1),
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
        await send1(url, { id: notificationId(n), type: 'Lead', recordId: long.slice(0, 15) });
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
          { Email: email, HasOptedOutOfEmail: 'false', LastModifiedDate: at(1) },
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
          LastModifiedDate: at(2),
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
          LastModifiedDate: at(3),
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

    describe('retries, repeats and reordering', () => {
      it('acknowledges a repeated notification and ignores it', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        // No modstamps: only the notification id can tell a retry from a new change.
        const first = {
          id: notificationId(n),
          type: 'Lead',
          recordId,
          fields: { Email: `hal${n}@one.example` },
        };
        await send1(url, first);
        await notify('Lead', recordId, { Email: `hal${n}@two.example` });
        const before = await everything(db);
        await send1(url, first);
        expectAck(await send(url, notificationsXml([first, first])));
        expect(await everything(db)).to.deep.equal(before);
        expect((await bySalesforceId(services, recordId)).email).to.equal(`hal${n}@two.example`);
      });

      it('never lets an older message overwrite a newer change (LastModifiedDate)', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const note = (id: number, second: number, fields: Record<string, string>) => ({
          id: notificationId(id),
          type: 'Lead',
          recordId,
          fields: { ...fields, LastModifiedDate: at(second) },
        });
        await send1(
          url,
          note(n, 0, { Email: `ida${n}@zero.example`, HasOptedOutOfEmail: 'false' }),
        );
        const older = note(fresh(), 1, {
          Email: `ida${n}@one.example`,
          HasOptedOutOfEmail: 'true',
        });
        const newer = note(fresh(), 2, {
          Email: `ida${n}@two.example`,
          HasOptedOutOfEmail: 'false',
        });
        await send1(url, newer);
        const before = await everything(db);
        await send1(url, older);
        const after = (await everything(db)) as { notifications: Array<Record<string, unknown>> };
        const lead = await bySalesforceId(services, recordId);
        expect(lead.email).to.equal(`ida${n}@two.example`);
        expect(lead.unsubscribed).to.equal(false);
        // Only the bookkeeping row of the stale notification is new.
        expect({ ...after, notifications: (before as typeof after).notifications }).to.deep.equal(
          before,
        );
        expect(after.notifications.find((r) => r.notification_id === older.id)).to.include({
          outcome: 'STALE',
        });
        // A later change still applies.
        await send1(
          url,
          note(fresh(), 3, { Email: `ida${n}@two.example`, HasOptedOutOfEmail: 'true' }),
        );
        expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(true);
      });

      it("keeps another record's opt-out of the address against an older untick delivered late", async () => {
        // [the Contact's opt-out changes the master status, the Lead's untick is newer, flags]
        for (const [changesStatus, untickNewer, expected] of [
          [false, false, true],
          [true, false, true],
          [true, true, false],
        ] as const) {
          const n = fresh();
          const email = `fay${n}@example.com`;
          const recordId = leadRecordId(n);
          const label = `status changed: ${changesStatus}, untick newer: ${untickNewer}`;
          await notify(
            'Lead',
            recordId,
            { Email: email, HasOptedOutOfEmail: 'true', SystemModstamp: at(10) },
            n,
          );
          if (changesStatus)
            await services.durableStatus.setAddressStatus({
              address: email,
              unsubscribed: false,
              path: ChangePaths.addressStatus('alice'),
              reason: 'asked to hear again',
              confirmProtected: false,
            });
          // A Contact with the address is opted out in Salesforce at 10:00:30, delivered at once
          // (already unsubscribed here, it changes nothing when the status was not lifted)...
          await notify('Contact', contactRecordId(n), {
            Email: email,
            HasOptedOutOfEmail: 'true',
            SystemModstamp: at(30),
          });
          // ...then the Lead's untick, made before that opt-out (or after it), arrives late.
          await notify('Lead', recordId, {
            Email: email,
            FirstName: 'Fay',
            HasOptedOutOfEmail: 'false',
            SystemModstamp: at(untickNewer ? 40 : 20),
          });
          const people = await services.leads.find({ keyType: 'EMAIL', keyValue: email });
          expect(
            people.map((p) => p.unsubscribed),
            label,
          ).to.deep.equal([expected, expected]);
          // The late notification's other fields apply either way.
          expect(attributeOf(await bySalesforceId(services, recordId), 'FirstName')).to.equal(
            'Fay',
          );
          expect(await services.durableStatus.findViolations()).to.deep.equal([]);
        }
      });

      it('settles on the newest change when deliveries race, and applies a raced repeat once', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const versions = Array.from({ length: 12 }, (_, k) => ({
          id: notificationId(fresh()),
          type: 'Lead',
          recordId,
          // Only LastName varies: no address lock or lead re-read serialises these for us.
          fields: { Email: `kai${n}@example.com`, LastName: `v${k}`, LastModifiedDate: at(k) },
        }));
        // Newest first, the rest interleaved, all at once.
        const order = [11, 0, 10, 1, 9, 2, 8, 3, 7, 4, 6, 5].map((k) => versions[k]!);
        const answers = await Promise.all(order.map((v) => send(url, notificationsXml([v]))));
        answers.forEach(expectAck);
        const lead = await bySalesforceId(services, recordId);
        expect(attributeOf(lead, 'LastName')).to.equal('v11');
        const newLeads = (await activitiesOf(services, lead.id)).filter(
          (a) => a.activityType === 'New Lead',
        );
        expect(newLeads).to.have.length(1);

        const repeat = {
          id: notificationId(fresh()),
          type: 'Lead',
          recordId: leadRecordId(n + 100000),
          fields: { Email: `kai${n}@repeat.example`, HasOptedOutOfEmail: 'true' },
        };
        const repeats = await Promise.all(
          Array.from({ length: 6 }, () => send(url, notificationsXml([repeat]))),
        );
        repeats.forEach(expectAck);
        const repeated = await bySalesforceId(services, repeat.recordId);
        expect(repeated.unsubscribed).to.equal(true);
        expect(
          (await activitiesOf(services, repeated.id)).map((a) => a.activityType),
        ).to.deep.equal(['New Lead']);
        const rows = (await db
          .knex('salesforce_notifications')
          .where('notification_id', repeat.id)
          .count({ n: '*' })) as Array<{ n: number | string }>;
        expect(Number(rows[0]?.n)).to.equal(1);
      });

      it('orders by SystemModstamp too, whichever of the two is later', async () => {
        const n = fresh();
        const recordId = contactRecordId(n);
        const note = (id: number, fields: Record<string, string>) => ({
          id: notificationId(id),
          type: 'Contact',
          recordId,
          fields,
        });
        await send1(
          url,
          note(n, { LastModifiedDate: at(1), LastName: 'B', SystemModstamp: at(5) }),
        );
        await send1(url, note(fresh(), { LastModifiedDate: at(4), LastName: 'A' }));
        const [lead] = await services.leads.find({ keyType: 'SFDCCONTACTID', keyValue: recordId });
        expect(attributeOf(lead!, 'LastName')).to.equal('B');
      });
    });

    describe('refusals', () => {
      it('refuses a far-future modstamp, so a genuine opt-out that follows is applied', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const email = `vic${n}@example.com`;
        const victim = await services.leads.sync(
          { email, attributes: [{ name: 'FirstName', value: 'Vic' }] },
          { path: ChangePaths.webService() },
        );
        const before = await everything(db);
        for (const name of ['SystemModstamp', 'LastModifiedDate']) {
          const forged = await send(
            url,
            notificationsXml([
              {
                id: notificationId(fresh()),
                type: 'Lead',
                recordId,
                fields: {
                  Email: email,
                  HasOptedOutOfEmail: 'false',
                  [name]: '2099-01-01T00:00:00Z',
                },
              },
            ]),
          );
          expectFault(forged, 'Client', 20110);
          expect(forged.body).to.contain('ahead of this server');
          expect(await everything(db)).to.deep.equal(before);
        }
        await notify('Lead', recordId, {
          Email: email,
          HasOptedOutOfEmail: 'true',
          SystemModstamp: new Date().toISOString(),
        });
        expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(true);
        const [person] = await services.leads.find({
          keyType: 'IDNUM',
          keyValue: String(victim.leadId),
        });
        expect(person!.unsubscribed).to.equal(true);
      });

      it('refuses a message from an organisation not in SFDC_ORG_IDS, changing nothing', async () => {
        const n = fresh();
        const before = await everything(db);
        const res = await send(
          url,
          notificationsXml(
            [
              {
                id: notificationId(n),
                type: 'Lead',
                recordId: leadRecordId(n),
                fields: { Email: `ivan${n}@example.com`, HasOptedOutOfEmail: 'true' },
              },
            ],
            { orgId: id18('00D5g000004zZzZ') },
          ),
        );
        expectFault(res, 'Client', 20013);
        expect(res.body).to.contain('is not allowed');
        expect(await everything(db)).to.deep.equal(before);
      });

      const n = 900000;
      const good = (i: number) =>
        `<Notification><Id>${notificationId(n + i)}</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>${leadRecordId(n + i)}</sf:Id><sf:Email>bad${i}@example.com</sf:Email></sObject></Notification>`;
      const message = (inner: string, ns = 'http://soap.sforce.com/2005/09/outbound') =>
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
        `<soapenv:Body><notifications xmlns="${ns}">${inner}</notifications></soapenv:Body></soapenv:Envelope>`;
      const header = `<OrganizationId>${ORG_ID}</OrganizationId><ActionId>${id18('04k5g000000TeSt')}</ActionId><SessionId xsi:nil="true"/><EnterpriseUrl>x</EnterpriseUrl><PartnerUrl>y</PartnerUrl>`;
      const sObject = (type: string, id: string, fields: string) =>
        `${header}<Notification><Id>${notificationId(n + 50)}</Id><sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>${id}</sf:Id>${fields}</sObject></Notification>`;
      const cases: Array<[string, string, 'Client' | 'Server' | 'VersionMismatch', number]> = [
        ['not XML', 'this is not xml', 'Client', 20012],
        ['truncated XML', message(header + good(1)).slice(0, 300), 'Client', 20012],
        [
          'another operation',
          message(header).replace(/notifications/g, 'somethingElse'),
          'Client',
          20019,
        ],
        ['notifications in another namespace', message(header + good(1), 'urn:x'), 'Client', 20019],
        ['no OrganizationId', message(good(1)), 'Client', 20109],
        ['no Notification', message(header), 'Client', 20109],
        [
          '101 notifications',
          message(header + Array.from({ length: 101 }, (_, i) => good(i)).join('')),
          'Client',
          20110,
        ],
        ['an Account', message(sObject('Account', id18('001000000000001'), '')), 'Client', 20017],
        ['a bad record id', message(sObject('Lead', 'not-an-id', '')), 'Client', 20110],
        [
          'a Lead with a Contact id',
          message(sObject('Lead', contactRecordId(n), '')),
          'Client',
          20110,
        ],
        [
          'a checkbox that is not a boolean',
          message(
            sObject('Lead', leadRecordId(n), '<sf:HasOptedOutOfEmail>yes</sf:HasOptedOutOfEmail>'),
          ),
          'Client',
          20110,
        ],
        [
          'a modstamp that is not a date-time',
          message(
            sObject(
              'Lead',
              leadRecordId(n),
              '<sf:LastModifiedDate>yesterday</sf:LastModifiedDate>',
            ),
          ),
          'Client',
          20110,
        ],
        [
          'an impossible address',
          message(
            header +
              `<Notification><Id>${notificationId(n + 2)}</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>${leadRecordId(n + 2)}</sf:Id><sf:Email>no address</sf:Email></sObject></Notification>`,
          ),
          'Client',
          20105,
        ],
        [
          'a SOAP 1.2 envelope',
          message(header + good(1)).replace(
            'http://schemas.xmlsoap.org/soap/envelope/',
            'http://www.w3.org/2003/05/soap-envelope',
          ),
          'VersionMismatch',
          20012,
        ],
      ];
      for (const [what, xml, side, code] of cases) {
        it(`refuses ${what} with a fault, changing nothing`, async () => {
          const before = await everything(db);
          expectFault(await send(url, xml), side, code);
          expect(await everything(db)).to.deep.equal(before);
        });
      }

      it('the well-formed sample used above is acknowledged', async () => {
        expectAck(await send(url, message(header + good(1))));
      });
    });

    describe('acknowledgement only after commit', () => {
      const refuseInserts = async () => {
        if (db.engine === 'postgres') {
          await db.knex.raw(
            "CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
          );
          await db.knex.raw(
            'CREATE TRIGGER refuse_insert BEFORE INSERT ON salesforce_notifications FOR EACH ROW EXECUTE FUNCTION refuse_insert()',
          );
        } else {
          await db.knex.raw(
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON salesforce_notifications BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
          );
        }
      };
      const allowInserts = async () => {
        await db.knex.raw(
          db.engine === 'postgres'
            ? 'DROP TRIGGER refuse_insert ON salesforce_notifications'
            : 'DROP TRIGGER refuse_insert',
        );
        if (db.engine === 'postgres') await db.knex.raw('DROP FUNCTION refuse_insert()');
      };

      it('answers a Server fault and keeps nothing when the bookkeeping cannot commit; the retry applies', async () => {
        const n = fresh();
        const xml = notificationsXml([
          {
            id: notificationId(n),
            type: 'Lead',
            recordId: leadRecordId(n),
            fields: { Email: `jon${n}@example.com`, HasOptedOutOfEmail: 'true' },
          },
        ]);
        const before = await everything(db);
        await refuseInserts();
        try {
          const res = await send(url, xml);
          expectFault(res, 'Server', 10001);
          expect(res.body).to.not.contain('refused by the test');
        } finally {
          await allowInserts();
        }
        expect(await everything(db)).to.deep.equal(before);
        expectAck(await send(url, xml));
        expect((await bySalesforceId(services, leadRecordId(n))).unsubscribed).to.equal(true);
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

      it('answers GET without ?wsdl, PUT and DELETE with a fault and 405', async () => {
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const res = await fetch(url, { method });
          expect(res.status, method).to.equal(405);
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
