import { expect } from 'chai';
import sinon from 'sinon';
import * as soap from 'soap';
import { testEngines } from '../support/database.js';
import {
  expectAck,
  expectFault,
  leadRecordId,
  listenerPerSuite,
  notificationId,
  notificationsXml,
  ORG_ID,
  OTHER_ORG_ID,
  send,
  type RunningListener,
} from './support.js';

// A message of an organisation SFDC_ORG_IDS does not name was refused only after node-soap had
// turned the whole body into objects: about a second of the event loop per megabyte of
// notifications, for anyone holding the path secret. The sender is now read from the envelope's
// text first, as Salesforce writes it (OrganizationId, the first member of notifications).

const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: notificationId(i + 1),
    type: 'Lead',
    recordId: leadRecordId(i + 1),
    fields: { Email: `p${i}@example.com`, HasOptedOutOfEmail: 'true' },
  }));

for (const engine of testEngines()) {
  describe(`the Salesforce listener checks the sender before parsing (${engine.name})`, function () {
    this.timeout(60000);
    let l: RunningListener;
    listenerPerSuite(engine, (opened) => (l = opened));
    let parsed: sinon.SinonSpy;
    beforeEach(() => {
      parsed = sinon.spy(soap.WSDL.prototype, 'xmlToObject');
    });
    afterEach(() => sinon.restore());

    it('refuses an organisation not allowed without parsing its notifications', async () => {
      const res = await send(l.url, notificationsXml(many(50), { orgId: OTHER_ORG_ID }));
      expectFault(res, 'Client', 20013);
      expect(res.body).to.contain(`Organization ${OTHER_ORG_ID} is not allowed`);
      expect(parsed.callCount).to.equal(0);
    });

    it('refuses, without parsing, a message whose first member is not its OrganizationId', async () => {
      const xml = notificationsXml(many(2));
      const moved = xml
        .replace(
          /<OrganizationId>[^<]*<\/OrganizationId>/,
          '<Extra><OrganizationId>x</OrganizationId></Extra>',
        )
        .replace(
          '</PartnerUrl>',
          `</PartnerUrl>${/<OrganizationId>[^<]*<\/OrganizationId>/.exec(xml)![0]}`,
        );
      expectFault(await send(l.url, moved), 'Client', 20110);
      // An allowed id hidden in a comment, or in a header element of that name, is not the sender.
      const other = notificationsXml(many(2), { orgId: OTHER_ORG_ID });
      for (const hidden of [
        other.replace(
          '<soapenv:Body>',
          `<soapenv:Body><!-- <notifications><OrganizationId>${ORG_ID}</OrganizationId> -->`,
        ),
        other.replace(
          '<soapenv:Body>',
          `<soapenv:Header><h:notifications xmlns:h="urn:h"><h:OrganizationId>${ORG_ID}</h:OrganizationId></h:notifications></soapenv:Header><soapenv:Body>`,
        ),
      ]) {
        const res = await send(l.url, hidden);
        expectFault(res, 'Client', 20013);
        expect(res.body).to.contain(`Organization ${OTHER_ORG_ID} is not allowed`);
      }
      expect(parsed.callCount).to.equal(0);
    });

    it('acknowledges an allowed organisation as before, comments and spacing included', async () => {
      const xml = notificationsXml(many(2)).replace(
        /(<notifications[^>]*>)(<OrganizationId>)/,
        '$1\n  <!-- sender --> $2',
      );
      expectAck(await send(l.url, xml));
      expect(parsed.callCount).to.equal(1);
    });
  });
}
