/**
 * Outbound messages written the way Salesforce prints them, not the compact samples of the
 * other suites: indented, modstamps with milliseconds, fields the listener does not map (custom
 * fields among them), the record's Id after its fields, values sent empty, nil or not at all,
 * and two notifications of one record in one message, newest first.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { postXml, type RawCallOptions } from '../support/service.js';
import {
  ORG_ID,
  attributeOf,
  bySalesforceId,
  expectAck,
  leadRecordId,
  listenerPerSuite,
  notificationId,
  send,
  type RunningListener,
} from './support.js';

/** One Notification, indented as Salesforce indents it; `fields` is the sObject's inner XML. */
const printed = (id: string, type: string, fields: string) => `
   <Notification>
    <Id>${id}</Id>
    <sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
${fields}
    </sObject>
   </Notification>`;

/** The envelope around them, with its line breaks and indentation. */
const printedMessage = (notifications: string) => `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${ORG_ID}</OrganizationId>
   <ActionId>${id18('04k5g000000TeSt')}</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00D5g000004aBcD</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00D5g000004aBcD</PartnerUrl>${notifications}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
`;

/** A modstamp as Salesforce writes it, milliseconds included, `second` into a fixed minute. */
const stamp = (second: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, second, 0)).toISOString();

for (const engine of testEngines()) {
  describe(`Salesforce messages as Salesforce prints them (${engine.name})`, function () {
    let url: string;
    let services: Services;
    let fresh: RunningListener['fresh'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, fresh } = listener);
    });

    it('applies an indented message, its Id last and unmapped custom fields ignored', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const res = await send(
        url,
        printedMessage(
          printed(
            notificationId(n),
            'Lead',
            `     <sf:Company>Acme</sf:Company>
     <sf:Email>Ida${n}@Example.com</sf:Email>
     <sf:Favourite_Colour__c>green</sf:Favourite_Colour__c>
     <sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail>
     <sf:IsConverted>false</sf:IsConverted>
     <sf:LastName>Ida</sf:LastName>
     <sf:OwnerId>005000000000001AAA</sf:OwnerId>
     <sf:SystemModstamp>${stamp(1)}</sf:SystemModstamp>
     <sf:Id>${recordId}</sf:Id>`,
          ),
        ),
      );
      expectAck(res);
      const lead = await bySalesforceId(services, recordId);
      expect(lead).to.include({ email: `Ida${n}@Example.com`, unsubscribed: true });
      expect(attributeOf(lead, 'LastName')).to.equal('Ida');
      expect(attributeOf(lead, 'Company')).to.equal('Acme');
      // The opt-out reached the address, whatever case it was written in.
      const [byAddress] = await services.leads.find({
        keyType: 'EMAIL',
        keyValue: `ida${n}@example.com`,
      });
      expect(byAddress?.id).to.equal(lead.id);
      expect(byAddress?.unsubscribed).to.equal(true);
    });

    it('ignores the SOAPAction and answers text/xml in UTF-8 whatever charset the request names', async () => {
      const variants: RawCallOptions[] = [
        { soapAction: '""' },
        {},
        { soapAction: 'notifications' },
        { headers: { 'Content-Type': 'text/xml' } },
        { soapAction: '""', headers: { 'Content-Type': 'text/xml; charset=UTF-8' } },
      ];
      for (const [i, options] of variants.entries()) {
        const n = fresh();
        const recordId = leadRecordId(n);
        const xml = printedMessage(
          printed(
            notificationId(n),
            'Lead',
            `<sf:Id>${recordId}</sf:Id><sf:Email>zoë${n}@example.com</sf:Email><sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail>`,
          ),
        );
        const res = await postXml(url, xml, options);
        expectAck(res);
        expect(res.contentType, `variant ${i}`).to.equal('text/xml; charset=utf-8');
        const lead = await bySalesforceId(services, recordId);
        expect(lead, `variant ${i}`).to.include({
          email: `zoë${n}@example.com`,
          unsubscribed: true,
        });
      }
    });

    it('clears a field sent empty or nil, and leaves one not sent as it was', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const email = `jo${n}@example.com`;
      const send1 = async (second: number, fields: string) =>
        expectAck(
          await send(
            url,
            printedMessage(
              printed(
                notificationId(fresh()),
                'Lead',
                `     <sf:Id>${recordId}</sf:Id>\n${fields}\n     <sf:SystemModstamp>${stamp(second)}</sf:SystemModstamp>`,
              ),
            ),
          ),
        );
      await send1(
        1,
        `<sf:Email>${email}</sf:Email><sf:FirstName>Jo</sf:FirstName><sf:LastName>Doe</sf:LastName><sf:Phone>555</sf:Phone>`,
      );
      await send1(2, '<sf:FirstName></sf:FirstName><sf:Phone xsi:nil="true"/>');
      const lead = await bySalesforceId(services, recordId);
      expect(lead.email).to.equal(email);
      expect(attributeOf(lead, 'FirstName') ?? null).to.equal(null);
      expect(attributeOf(lead, 'Phone') ?? null).to.equal(null);
      expect(attributeOf(lead, 'LastName')).to.equal('Doe');
    });

    it('keeps the opt-out of a record whose Email is cleared in Salesforce at its address', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const email = `kim${n}@example.com`;
      const note = (second: number, fields: string) =>
        printedMessage(
          printed(
            notificationId(fresh()),
            'Lead',
            `<sf:Id>${recordId}</sf:Id>${fields}<sf:SystemModstamp>${stamp(second)}</sf:SystemModstamp>`,
          ),
        );
      expectAck(
        await send(
          url,
          note(
            1,
            `<sf:Email>${email}</sf:Email><sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail>`,
          ),
        ),
      );
      expectAck(
        await send(
          url,
          note(2, '<sf:Email xsi:nil="true"/><sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail>'),
        ),
      );
      const lead = await bySalesforceId(services, recordId);
      expect(lead).to.include({ email: null, unsubscribed: true });
      // Someone new at the address is unsubscribed by the opt-out that stayed with it.
      const other = await services.leads.sync(
        { email, attributes: [] },
        { path: ChangePaths.webService(), matchByEmail: false },
      );
      const [person] = (await services.leads.find({ keyType: 'EMAIL', keyValue: email })).filter(
        (l) => l.id === other.leadId,
      );
      expect(person?.unsubscribed).to.equal(true);
    });

    it('applies an untick sent with a new Email as rule 6 says: the address first, then the flag', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const [from, to] = [`old${n}@example.com`, `new${n}@example.com`];
      const neighbour = async (email: string) =>
        (
          await services.leads.sync(
            { email, attributes: [{ name: 'FirstName', value: 'Neighbour' }] },
            { path: ChangePaths.webService(), matchByEmail: false },
          )
        ).leadId;
      const flagOf = async (id: number) =>
        (await services.leads.find({ keyType: 'IDNUM', keyValue: String(id) }))[0]?.unsubscribed;
      const [atOld, atNew] = [await neighbour(from), await neighbour(to)];
      const box = (email: string, value: string, at: string) =>
        printedMessage(
          printed(
            notificationId(fresh()),
            'Lead',
            `<sf:Id>${recordId}</sf:Id><sf:Email>${email}</sf:Email><sf:HasOptedOutOfEmail>${value}</sf:HasOptedOutOfEmail><sf:SystemModstamp>${at}</sf:SystemModstamp>`,
          ),
        );
      expectAck(await send(url, box(from, 'true', new Date(Date.now() - 60_000).toISOString())));
      // The new address unsubscribed here by another path, for an unprotected reason.
      await services.durableStatus.setAddressStatus({
        address: to,
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'asked by phone',
        confirmProtected: false,
      });
      // Moved and unticked in one edit, after that opt-out (past SFDC_CLOCK_MARGIN_SECONDS,
      // 60 s): the untick lifts the new address.
      expectAck(await send(url, box(to, 'false', new Date(Date.now() + 90_000).toISOString())));
      const lead = await bySalesforceId(services, recordId);
      expect(lead).to.include({ email: to, unsubscribed: false });
      expect(await flagOf(atNew)).to.equal(false);
      // The old address keeps the opt-out Salesforce reported for it.
      expect(await flagOf(atOld)).to.equal(true);
    });

    it('orders two notifications of one record in one message by their modstamps, newest first', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const email = `lou${n}@example.com`;
      const box = (value: string, second: number) =>
        printed(
          notificationId(fresh()),
          'Lead',
          `<sf:Id>${recordId}</sf:Id><sf:Email>${email}</sf:Email><sf:HasOptedOutOfEmail>${value}</sf:HasOptedOutOfEmail><sf:SystemModstamp>${stamp(second)}</sf:SystemModstamp>`,
        );
      // Ticked at :05 and unticked at :10, the untick written first: Salesforce holds it unticked.
      expectAck(await send(url, printedMessage(box('false', 10) + box('true', 5))));
      expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(false);
      // Ticked again at :20 and the older :15 untick after it: it stays ticked.
      expectAck(await send(url, printedMessage(box('true', 20) + box('false', 15))));
      expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(true);
    });
  });
}
