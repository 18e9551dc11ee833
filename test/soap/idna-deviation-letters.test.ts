/**
 * The letters IDNA (UTS #46 non-transitional: browsers, node:url) keeps apart from their case
 * fold in a domain, over SOAP on both engines: `ann@straße.de` (xn--strae-oqa.de) and
 * `ann@strasse.de` are two mailboxes, and so are 'ς'/'σ', 'ı'/'i' and 'İ' (i̇)/'i'. An
 * authenticated re-subscribe at one leaves the other's opt-out standing. Before, they shared a
 * key: the re-subscribe at the plain spelling lifted the other mailbox's opt-out.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  getLeadByEmailXml,
  rawCall,
  startTestService,
  syncUnsubscribedXml,
  type TestService,
} from '../support/service.js';

/** Pairs of domains IDNA reads as two: a letter it keeps, and the letter's case fold. */
const PAIRS: Array<[string, string]> = [
  ['stra\u00dfe.de', 'strasse.de'],
  ['\u03c2\u03bf\u03c6\u03b9\u03b1.gr', '\u03c3\u03bf\u03c6\u03b9\u03b1.gr'],
  ['\u0131bm.com', 'ibm.com'],
  ['\u0130bm.com', 'ibm.com'],
];

const unsubscribedOf = (body: string) =>
  /<attrName>Unsubscribed<\/attrName><attrType>[^<]*<\/attrType><attrValue>([^<]*)<\/attrValue>/.exec(
    body,
  )?.[1];
const isTrue = (flag: string | undefined) => flag === 'true' || flag === '1';

for (const engine of testEngines()) {
  describe(`IDNA's deviation letters keep their own opt-outs (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    async function sync(email: string, unsubscribed: boolean): Promise<void> {
      const r = await call(syncUnsubscribedXml(email, String(unsubscribed)));
      expect(r.status, r.body).to.equal(200);
      expect(r.body, r.body).to.match(/<status>(CREATED|UPDATED)<\/status>/);
    }

    async function optedOut(email: string): Promise<boolean> {
      const r = await call(getLeadByEmailXml(email));
      expect(r.status, r.body).to.equal(200);
      return isTrue(unsubscribedOf(r.body));
    }

    PAIRS.forEach(([kept, plain], i) => {
      it(`a re-subscribe at ${plain} leaves ${kept} opted out, and the other way round`, async () => {
        const a = `ann${i}@${kept}`;
        const b = `ann${i}@${plain}`;
        await sync(b, false);
        await sync(a, true);
        expect(await optedOut(b), b).to.equal(false);
        await sync(b, false);
        expect(await optedOut(a), a).to.equal(true);

        const c = `bea${i}@${kept}`;
        const d = `bea${i}@${plain}`;
        await sync(c, false);
        await sync(d, true);
        expect(await optedOut(c), c).to.equal(false);
        await sync(c, false);
        expect(await optedOut(d), d).to.equal(true);
      });
    });
  });
}
