/**
 * A record deleted in Salesforce before its notification is delivered: Salesforce still sends
 * the notification, with no data (its sObject empty, or holding only the record's Id). Such a
 * notification refused the whole message (20109), so the opt-outs beside it waited for retries
 * that all failed, and were dropped with the message after 24 hours. It carries no change: it
 * is skipped (nothing stored, no person created) and the message is acknowledged, the rest
 * applied. A notification that names a record of the wrong kind is still refused.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import type { Services } from '../../src/domain/services.js';
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
  modstampAt,
  notificationId,
  send,
  type RunningListener,
} from './support.js';

const SF = 'xmlns:sf="urn:sobject.enterprise.soap.sforce.com"';
const message = (notifications: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
  '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
  `<OrganizationId>${ORG_ID}</OrganizationId><ActionId>04k5g000000TeStAAA</ActionId><SessionId xsi:nil="true"/>` +
  '<EnterpriseUrl>https://x.my.salesforce.com/services/Soap/c/60.0/00D5g000004aBcD</EnterpriseUrl>' +
  '<PartnerUrl>https://x.my.salesforce.com/services/Soap/u/60.0/00D5g000004aBcD</PartnerUrl>' +
  `${notifications}</notifications></soapenv:Body></soapenv:Envelope>`;
const notification = (id: number, sObject: string) =>
  `<Notification><Id>${notificationId(id)}</Id>${sObject}</Notification>`;

for (const engine of testEngines()) {
  describe(`a notification of a record deleted before delivery (${engine.name})`, function () {
    this.timeout(60000);
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh } = listener);
    });

    const optOut = (n: number) =>
      notification(
        n,
        `<sObject xsi:type="sf:Lead" ${SF}><sf:Id>${leadRecordId(n)}</sf:Id>` +
          `<sf:Email>del${n}@example.com</sf:Email><sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail>` +
          `<sf:SystemModstamp>${modstampAt(1)}</sf:SystemModstamp></sObject>`,
      );
    const forms: Array<[string, (n: number) => string]> = [
      [
        'an sObject with only its Id',
        (n) => `<sObject xsi:type="sf:Lead" ${SF}><sf:Id>${leadRecordId(n)}</sf:Id></sObject>`,
      ],
      ['an empty sObject', () => `<sObject xsi:type="sf:Contact" ${SF}/>`],
      ['a nil sObject', () => '<sObject xsi:nil="true"/>'],
      ['no sObject', () => ''],
    ];
    for (const [what, deleted] of forms) {
      it(`skips ${what} and applies the opt-out beside it`, async () => {
        const gone = fresh();
        const kept = fresh();
        const before = await db.knex('leads').count({ n: '*' }).first();
        expectAck(await send(url, message(notification(gone, deleted(gone)) + optOut(kept))));
        expect((await bySalesforceId(services, leadRecordId(kept))).unsubscribed).to.equal(true);
        const after = await db.knex('leads').count({ n: '*' }).first();
        expect(Number(after!.n) - Number(before!.n)).to.equal(1);
        const records = await db
          .knex('salesforce_records')
          .where({ record_id: leadRecordId(gone) });
        expect(records).to.have.length(0);
      });
    }

    it('acknowledges a message of deleted records only, changing nothing', async () => {
      const before = await everything(db);
      const gone = fresh();
      expectAck(
        await send(
          url,
          message(notification(gone, forms[0]![1](gone)) + notification(fresh(), '')),
        ),
      );
      expect(await everything(db)).to.deep.equal(before);
    });

    it('names a refused notification by its place in the message, skipped ones counted', async () => {
      const n = fresh();
      const res = await send(
        url,
        message(
          notification(fresh(), '') +
            notification(
              n,
              `<sObject xsi:type="sf:Lead" ${SF}><sf:Id>${leadRecordId(n)}</sf:Id>` +
                `<sf:FirstName>${'x'.repeat(300)}</sf:FirstName></sObject>`,
            ),
        ),
      );
      expectFault(res, 'Client', 20105);
      expect(res.body).to.contain(`Notification 2, Lead ${leadRecordId(n)}: `);
    });

    it('still refuses an empty sObject whose Id is of another object, changing nothing', async () => {
      const n = fresh();
      const before = await everything(db);
      const res = await send(
        url,
        message(
          notification(
            n,
            `<sObject xsi:type="sf:Lead" ${SF}><sf:Id>${contactRecordId(n)}</sf:Id></sObject>`,
          ) + optOut(fresh()),
        ),
      );
      expectFault(res, 'Client', 20110);
      expect(await everything(db)).to.deep.equal(before);
    });
  });
}
