import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  bySalesforceId,
  everything,
  expectAck,
  leadRecordId,
  listenerPerSuite,
  send,
  type RunningListener,
} from '../salesforce/support.js';
import { optOutMessage } from './support.js';

/**
 * A header entry the Salesforce listener does not process, marked mustUnderstand="1" for it (no
 * actor, or the next one), must be answered with a SOAP-ENV:MustUnderstand fault and nothing
 * applied (SOAP 1.1, 4.2.3), as the mktows endpoint answers. The listener ignored the Header and
 * acknowledged the message: a sender that made its meaning depend on that entry (a security or
 * transaction header of a proxy) was told the message was applied as it meant it.
 */
const NEXT = 'http://schemas.xmlsoap.org/soap/actor/next';
const withHeader = (xml: string, entry: string) =>
  xml.replace('<soapenv:Body>', `<soapenv:Header>${entry}</soapenv:Header><soapenv:Body>`);
const entry = (attributes: string) =>
  `<x:Transaction xmlns:x="urn:example:tx" ${attributes}>5</x:Transaction>`;

for (const engine of testEngines()) {
  describe(`Salesforce listener: header entries marked mustUnderstand (${engine.name})`, function () {
    this.timeout(60000);
    let listener: RunningListener;
    listenerPerSuite(engine, (l) => {
      listener = l;
    });

    const optOut = (n: number) => optOutMessage(n, `must-${n}@example.com`);

    it('answers a MustUnderstand fault, applying nothing', async () => {
      const before = await everything(listener.db);
      for (const attributes of [
        'soapenv:mustUnderstand="1"',
        `soapenv:mustUnderstand="1" soapenv:actor="${NEXT}"`,
      ]) {
        const answer = await send(
          listener.url,
          withHeader(optOut(listener.fresh()), entry(attributes)),
        );
        expect(answer.status, answer.body).to.equal(500);
        expect(answer.body).to.contain('<faultcode>SOAP-ENV:MustUnderstand</faultcode>');
        expect(answer.body).to.contain('Transaction');
        expect(answer.body).to.not.contain('Ack');
      }
      expect(await everything(listener.db)).to.deep.equal(before);
    });

    it('applies a message whose entries need no understanding', async () => {
      for (const attributes of [
        '',
        'soapenv:mustUnderstand="0"',
        'soapenv:mustUnderstand="1" soapenv:actor="urn:example:another-node"',
      ]) {
        const n = listener.fresh();
        expectAck(await send(listener.url, withHeader(optOut(n), entry(attributes))));
        expect((await bySalesforceId(listener.services, leadRecordId(n))).unsubscribed).to.equal(
          true,
        );
      }
    });
  });
}
