/**
 * What the Salesforce outbound listener (outbound-endpoint.test.ts) refuses, each with a fault
 * and nothing changed, and its acknowledgement given only once what it applied is committed.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import { testEngines } from '../support/database.js';
import {
  ORG_ID,
  bySalesforceId,
  contactRecordId,
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerPerSuite,
  notificationId,
  notificationsXml,
  send,
  type RunningListener,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce outbound listener: refusals (${engine.name})`, () => {
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    let notify: RunningListener['notify'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh, notify } = listener);
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
        [
          'an Opportunity',
          message(sObject('Opportunity', id18('006000000000001'), '')),
          'Client',
          20017,
        ],
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
  });
}
