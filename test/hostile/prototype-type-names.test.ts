import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { expectFault, rawCall } from '../support/service.js';
import {
  everything,
  expectFault as expectSalesforceFault,
  listenerPerSuite,
  send,
  type RunningListener,
} from '../salesforce/support.js';
import { optOutMessage } from './support.js';

/**
 * An xsi:type whose name, or the namespace its prefix is bound to, is a property every
 * JavaScript object inherits (constructor, __proto__, toString…). node-soap looks the type up
 * in plain objects of its parsed WSDL, by namespace and then by name: such a name found the
 * inherited function or Object.prototype, which it then called as a type ("typeDef.description
 * is not a function"). The mktows endpoint answered fault 10001 (Internal Error, SOAP-ENV:Server)
 * with the error logged, the Salesforce listener a fault that named nothing. Each is refused
 * now, before node-soap reads it, as not understood (20012, SOAP-ENV:Client).
 */

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const EMAIL = 'typed@example.com';
const MKTOWS = 'http://www.marketo.com/mktows/';

/** A syncLead that unsubscribes EMAIL, its leadRecord typed `type` under `declarations`. */
const typedSync = (type: string, declarations = '') =>
  `<ns1:paramsSyncLead><leadRecord xsi:type="${type}"${declarations}><Email>${EMAIL}</Email>` +
  '<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue>' +
  '</attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>';

/** Each way of naming an inherited property as the type, for `name`. */
const typings = (name: string): Array<[string, string]> => [
  [`ns1:${name}`, ''],
  [`ns1:${name}|x`, ''],
  [`t:${name}`, ` xmlns:t="${MKTOWS}"`],
  ['p:LeadRecord', ` xmlns:p="${name}"`],
];

for (const engine of testEngines()) {
  describe(`xsi:type naming an inherited object property (${engine.name})`, function () {
    this.timeout(120000);
    let listener: RunningListener;
    listenerPerSuite(engine, (l) => {
      listener = l;
    });

    it('mktows: answers each with 20012 as a client fault, storing nothing', async () => {
      const before = await everything(listener.db);
      for (const name of INHERITED) {
        for (const [type, declarations] of typings(name)) {
          const answer = await rawCall(listener.service.url, typedSync(type, declarations));
          expectFault(answer, 20012);
          expect(answer.body, `${type}${declarations}`).to.contain('SOAP-ENV:Client');
        }
      }
      expect(await everything(listener.db)).to.deep.equal(before);
    });

    it('mktows: still reads the type the schema names', async () => {
      const answer = await rawCall(listener.service.url, typedSync('ns1:LeadRecord'));
      expect(answer.status, answer.body).to.equal(200);
    });

    it('Salesforce: answers an sObject typed so with 20012, storing nothing', async () => {
      const before = await everything(listener.db);
      for (const name of INHERITED) {
        const n = listener.fresh();
        const xml = optOutMessage(n, `sf-typed-${n}@example.com`, name);
        const answer = await send(listener.url, xml);
        expectSalesforceFault(answer, 'Client', 20012);
        expect(answer.body).to.contain(`xsi:type`);
      }
      expect(await everything(listener.db)).to.deep.equal(before);
    });
  });
}
