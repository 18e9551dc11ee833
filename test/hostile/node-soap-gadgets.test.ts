import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';
import {
  ORG_ID,
  PATH_SECRET,
  expectAck,
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  send,
} from '../salesforce/support.js';

/** The tests' services run in this process: what pollutes the service pollutes this. */
const polluted = () => Object.prototype.hasOwnProperty.call(Object.prototype, 'obj');

const getLead = (key: string, attrs = '') =>
  `<ns1:paramsGetLead><leadKey${attrs}><keyType>EMAIL</keyType><keyValue>${key}</keyValue></leadKey></ns1:paramsGetLead>`;

for (const engine of testEngines()) {
  describe(`node-soap's reading of a request, attacked (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
    });
    after(() => service?.stop());
    afterEach(() => {
      // Before the fix an id of __proto__ set Object.prototype.obj: never leave it behind.
      if (polluted()) delete (Object.prototype as Record<string, unknown>).obj;
    });

    it('answers an id="__proto__" of an authenticated call with 20012, polluting nothing, and serves the next call', async () => {
      // Before: node-soap set Object.prototype.obj, the call answered 10001 and the next one's
      // metric threw outside any handler, ending the process.
      const r = await rawCall(service.url, getLead('p@example.com', ' id="__proto__"'));
      expect(polluted(), 'Object.prototype.obj').to.equal(false);
      expect(r.status).to.equal(500);
      expect(faultCode(r.body), r.body).to.equal(20012);
      const next = await rawCall(service.url, getLead('q@example.com'));
      expect(faultCode(next.body), next.body).to.equal(20103);
    });

    it('answers a CDATA holding a document (parsed past the guard before) with 20012, polluting nothing', async () => {
      const nested = '<![CDATA[<?xml version="1.0"?><x id="__proto__">y</x>]]>';
      const r = await rawCall(service.url, getLead(nested));
      expect(polluted(), 'Object.prototype.obj').to.equal(false);
      expect(faultCode(r.body), r.body).to.equal(20012);
    });

    it('refuses a Salesforce message carrying multiRef (id="__proto__" polluted every later message)', async () => {
      const url = listenerUrl(service.base);
      const xml = notificationsXml([
        {
          id: notificationId(1),
          type: 'Lead',
          recordId: leadRecordId(1),
          fields: { Email: 'sf@example.com' },
        },
      ]).replace('<sf:Email>', '<sf:Email id="__proto__">');
      const r = await send(url, xml);
      expect(polluted(), 'Object.prototype.obj').to.equal(false);
      expect(r.status).to.equal(500);
      expect(r.body).to.match(/multiRef/);
      // Nothing of it was applied: the same notification goes through afterwards.
      const ok = await send(
        url,
        notificationsXml([
          {
            id: notificationId(1),
            type: 'Lead',
            recordId: leadRecordId(1),
            fields: { Email: 'sf@example.com', HasOptedOutOfEmail: 'true' },
          },
        ]),
      );
      expectAck(ok);
    });
  });
}
