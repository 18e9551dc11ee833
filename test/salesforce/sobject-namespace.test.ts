/**
 * The sObject's type is a name in Salesforce's sObject namespace
 * (`urn:sobject.enterprise.soap.sforce.com`, the outbound message WSDL's `ens` schema), under
 * whatever prefix the message binds to it. node-soap reads the type's local name alone: a
 * `zz:Lead` of another namespace was applied as a Lead. It is refused with the listener's
 * fault for a type it does not serve (20017), nothing of the message applied.
 *
 * So are the sObject's fields (in that namespace too) and the members of `notifications` and
 * `Notification` (in the outbound namespace): node-soap reads every element by its local name,
 * so `<zz:HasOptedOutOfEmail xmlns:zz="urn:other">false</…>` unticked the record and lifted
 * its address's opt-out. Such an element is refused (20012, naming it and its namespace), nothing
 * of the message applied.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import {
  ORG_ID,
  bySalesforceId,
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  notificationId,
  send,
} from './support.js';

const SOBJECT_NS = 'urn:sobject.enterprise.soap.sforce.com';
const message = (notifications: string, envelopeNs = '') =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  `xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"${envelopeNs}>` +
  '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
  `<OrganizationId>${ORG_ID}</OrganizationId><ActionId>04k5g000000TeStAAA</ActionId><SessionId xsi:nil="true"/>` +
  '<EnterpriseUrl>https://x.my.salesforce.com/services/Soap/c/60.0/00D5g000004aBcD</EnterpriseUrl>' +
  '<PartnerUrl>https://x.my.salesforce.com/services/Soap/u/60.0/00D5g000004aBcD</PartnerUrl>' +
  `${notifications}</notifications></soapenv:Body></soapenv:Envelope>`;

/** An opt-out of Lead `n`, its sObject typed `type` with `declarations` on it. */
const optOut = (n: number, type: string, declarations: string, p = 'sf') =>
  `<Notification><Id>${notificationId(n)}</Id><sObject xsi:type="${type}" ${declarations}>` +
  `<${p}:Id>${leadRecordId(n)}</${p}:Id><${p}:Email>ns${n}@example.com</${p}:Email>` +
  `<${p}:HasOptedOutOfEmail>true</${p}:HasOptedOutOfEmail>` +
  `<${p}:SystemModstamp>${modstampAt(1)}</${p}:SystemModstamp></sObject></Notification>`;

for (const engine of testEngines()) {
  describe(`the sObject type's namespace (${engine.name})`, function () {
    this.timeout(60000);
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: () => number;
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh } = listener);
    });

    const refused: Array<[string, (n: number) => string]> = [
      [
        'zz:Lead of another namespace',
        (n) => optOut(n, 'zz:Lead', `xmlns:zz="urn:other" xmlns:sf="${SOBJECT_NS}"`),
      ],
      [
        'sf:Lead with sf bound to the partner namespace',
        (n) => optOut(n, 'sf:Lead', 'xmlns:sf="urn:sobject.partner.soap.sforce.com"'),
      ],
      [
        'Lead in the default (outbound) namespace',
        (n) => optOut(n, 'Lead', `xmlns:sf="${SOBJECT_NS}"`),
      ],
      [
        'sf:Lead whose sf is rebound on the sObject itself',
        (n) => optOut(n, 'sf:Lead', 'xmlns:sf="urn:elsewhere"', 'sf'),
      ],
    ];
    for (const [what, notification] of refused) {
      it(`refuses ${what}, the opt-out before it in the message not applied`, async () => {
        const first = fresh();
        const n = fresh();
        const before = await everything(db);
        const res = await send(
          url,
          message(
            optOut(first, 'sf:Lead', `xmlns:sf="${SOBJECT_NS}"`) + notification(n),
            ` xmlns:sf="${SOBJECT_NS}"`,
          ),
        );
        expectFault(res, 'Client', 20017);
        expect(res.body).to.contain('Notification 2: sObject type');
        expect(await everything(db)).to.deep.equal(before);
      });
    }

    const accepted: Array<[string, (n: number) => string, string]> = [
      ['sf, as Salesforce writes it', (n) => optOut(n, 'sf:Lead', `xmlns:sf="${SOBJECT_NS}"`), ''],
      ['another prefix', (n) => optOut(n, 'ens:Lead', `xmlns:ens="${SOBJECT_NS}"`, 'ens'), ''],
      [
        'a prefix bound on the Envelope',
        (n) => optOut(n, 'urn1:Lead', '', 'urn1'),
        ` xmlns:urn1="${SOBJECT_NS}"`,
      ],
      [
        'whitespace around the type, a declaration in single quotes',
        (n) => optOut(n, ' sf:Lead ', `xmlns:sf='${SOBJECT_NS}'`),
        '',
      ],
    ];
    for (const [what, notification, envelopeNs] of accepted) {
      it(`applies a Lead typed with ${what}`, async () => {
        const n = fresh();
        expectAck(await send(url, message(notification(n), envelopeNs)));
        expect((await bySalesforceId(services, leadRecordId(n))).unsubscribed).to.equal(true);
      });
    }

    /** A notification of Lead `n` whose sObject holds `fields` (written as they are). */
    const withFields = (n: number, fields: string) =>
      `<Notification><Id>${notificationId(n)}</Id><sObject xsi:type="sf:Lead" xmlns:sf="${SOBJECT_NS}">` +
      `<sf:Id>${leadRecordId(n)}</sf:Id>${fields}</sObject></Notification>`;
    const elsewhere: Array<[string, (n: number, second: number) => string]> = [
      [
        'a field of another namespace',
        (n, s) =>
          withFields(
            n,
            `<zz:HasOptedOutOfEmail xmlns:zz="urn:other">false</zz:HasOptedOutOfEmail>` +
              `<sf:SystemModstamp>${modstampAt(s)}</sf:SystemModstamp>`,
          ),
      ],
      [
        'a field in the outbound (default) namespace',
        (n, s) =>
          withFields(
            n,
            `<HasOptedOutOfEmail>false</HasOptedOutOfEmail><sf:SystemModstamp>${modstampAt(s)}</sf:SystemModstamp>`,
          ),
      ],
      [
        'a field in no namespace',
        (n, s) =>
          withFields(
            n,
            `<HasOptedOutOfEmail xmlns="">false</HasOptedOutOfEmail><sf:SystemModstamp>${modstampAt(s)}</sf:SystemModstamp>`,
          ),
      ],
      [
        'its change order in another namespace',
        (n, s) =>
          withFields(
            n,
            `<sf:HasOptedOutOfEmail>false</sf:HasOptedOutOfEmail>` +
              `<zz:SystemModstamp xmlns:zz="urn:other">${modstampAt(s)}</zz:SystemModstamp>`,
          ),
      ],
      [
        'a Notification member of another namespace',
        (n, s) =>
          `<Notification><zz:Id xmlns:zz="urn:other">${notificationId(n + 1000)}</zz:Id>` +
          `<sObject xsi:type="sf:Lead" xmlns:sf="${SOBJECT_NS}"><sf:Id>${leadRecordId(n)}</sf:Id>` +
          `<sf:HasOptedOutOfEmail>false</sf:HasOptedOutOfEmail><sf:SystemModstamp>${modstampAt(s)}</sf:SystemModstamp></sObject></Notification>`,
      ],
    ];
    for (const [what, untick] of elsewhere) {
      it(`refuses ${what}: the untick lifts nothing, nothing of the message applied`, async () => {
        const n = fresh();
        expectAck(await send(url, message(optOut(n, 'sf:Lead', `xmlns:sf="${SOBJECT_NS}"`))));
        expect((await bySalesforceId(services, leadRecordId(n))).unsubscribed).to.equal(true);
        const before = await everything(db);
        const res = await send(url, message(untick(n, 2)));
        expectFault(res, 'Client', 20012);
        expect(res.body).to.contain('urn:');
        expect(await everything(db)).to.deep.equal(before);
        expect((await bySalesforceId(services, leadRecordId(n))).unsubscribed).to.equal(true);
      });
    }

    it('applies the untick whose fields are in the sObject namespace, under any prefix', async () => {
      const n = fresh();
      expectAck(await send(url, message(optOut(n, 'sf:Lead', `xmlns:sf="${SOBJECT_NS}"`))));
      const untick =
        `<Notification><Id>${notificationId(n + 1000)}</Id><sObject xsi:type="sf:Lead" xmlns:sf="${SOBJECT_NS}">` +
        `<ens:Id xmlns:ens="${SOBJECT_NS}">${leadRecordId(n)}</ens:Id>` +
        `<HasOptedOutOfEmail xmlns="${SOBJECT_NS}">false</HasOptedOutOfEmail>` +
        `<sf:SystemModstamp>${modstampAt(2)}</sf:SystemModstamp></sObject></Notification>`;
      expectAck(await send(url, message(untick)));
      expect((await bySalesforceId(services, leadRecordId(n))).unsubscribed).to.equal(false);
    });

    it('reads no type inside a comment or CDATA as the sObject type', async () => {
      const n = fresh();
      const res = await send(
        url,
        message(
          `<!-- <sObject xsi:type="zz:Lead" xmlns:zz="urn:other"> -->` +
            optOut(n, 'sf:Lead', `xmlns:sf="${SOBJECT_NS}"`),
        ),
      );
      expectAck(res);
    });
  });
}
