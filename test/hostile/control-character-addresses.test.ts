import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  getLeadByEmailXml,
  rawCall,
  syncUnsubscribedXml,
} from '../support/service.js';
import {
  everything,
  expectFault as expectSalesforceFault,
  listenerPerSuite,
  send,
  type RunningListener,
} from '../salesforce/support.js';
import { optOutMessage } from './support.js';

/**
 * An address holding a C1 control character (U+0080-U+009F: NEL, or what a Windows-1252 byte
 * read as ISO-8859-1 becomes) is refused like one holding a C0 control: no mail system delivers
 * to it, and stored it was a key apart from the visible address, so that an opt-out of one
 * did not reach the other. XML 1.0 allows these characters, raw or as references, so the
 * envelope guard lets them through; the address check did not look past U+007F.
 */
const C1 = ['\u0080', '\u0085', '\u0092', '\u009f'];
const VISIBLE = 'c1-ann@example.com';
const withControl = (c: string) => `c1-ann${c}@example.com`;
const asReference = (c: string) => `c1-ann&#x${c.charCodeAt(0).toString(16)};@example.com`;

for (const engine of testEngines()) {
  describe(`addresses with C1 control characters (${engine.name})`, function () {
    this.timeout(60000);
    let listener: RunningListener;
    listenerPerSuite(engine, (l) => {
      listener = l;
    });

    it('syncLead answers 20105 for each, raw or as a reference, storing nothing', async () => {
      const before = await everything(listener.db);
      for (const c of C1) {
        for (const email of [withControl(c), asReference(c)]) {
          const answer = await rawCall(listener.service.url, syncUnsubscribedXml(email, 'true'));
          expectFault(answer, 20105);
          expect(answer.body, JSON.stringify(email)).to.contain('Email is not a valid address');
        }
      }
      expect(await everything(listener.db)).to.deep.equal(before);
      const visible = await rawCall(listener.service.url, getLeadByEmailXml(VISIBLE));
      expectFault(visible, 20103);
    });

    it('the Salesforce listener refuses a notification of one, storing nothing', async () => {
      const before = await everything(listener.db);
      for (const c of C1) {
        const n = listener.fresh();
        const answer = await send(listener.url, optOutMessage(n, withControl(c)));
        expectSalesforceFault(answer, 'Client', 20105);
      }
      expect(await everything(listener.db)).to.deep.equal(before);
    });

    it('still takes an address of letters beyond ASCII', async () => {
      const answer = await rawCall(
        listener.service.url,
        syncUnsubscribedXml('zoë@example.com', 'true'),
      );
      expect(answer.status, answer.body).to.equal(200);
    });
  });
}
