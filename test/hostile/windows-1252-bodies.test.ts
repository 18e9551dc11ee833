import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  envelope,
  getLeadByEmailXml,
  postXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';

/**
 * A body in Windows-1252 (a Windows client's "ANSI" code page, or ISO-8859-1 as senders mean it
 * and the WHATWG reads the label) is read with Windows-1252's characters for the bytes 0x80-0x9F:
 * the typographic apostrophe and quotes, the dashes, the euro sign. Node's TextDecoder (since
 * 20.18.3) reads that label as ISO-8859-1 and gave the C1 control characters of those code
 * points instead: "O’Brien" sent as bytes was stored as "O\u0092Brien", and answered so.
 */

/** What a Windows client types, and the bytes Windows-1252 writes it as. */
const TYPED = 'O’Brien – “Ann” € 5… ‰ Œœ Šš Žž Ÿ ƒ ˆ˜ ™ • ‚„ †‡ ‹›';
const BYTES = Buffer.from([
  0x4f, 0x92, 0x42, 0x72, 0x69, 0x65, 0x6e, 0x20, 0x96, 0x20, 0x93, 0x41, 0x6e, 0x6e, 0x94, 0x20,
  0x80, 0x20, 0x35, 0x85, 0x20, 0x89, 0x20, 0x8c, 0x9c, 0x20, 0x8a, 0x9a, 0x20, 0x8e, 0x9e, 0x20,
  0x9f, 0x20, 0x83, 0x20, 0x88, 0x98, 0x20, 0x99, 0x20, 0x95, 0x20, 0x82, 0x84, 0x20, 0x86, 0x87,
  0x20, 0x8b, 0x9b,
]);

/** A syncLead of `email` whose LastName is BYTES, declared (or announced) in `label`. */
function cp1252Sync(email: string, declared: string | null): Buffer {
  const xml = envelope(
    `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute>` +
      '<attrName>LastName</attrName><attrValue>\u0000</attrValue></attribute></leadAttributeList>' +
      '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
  ).replace(
    '<?xml version="1.0" encoding="UTF-8"?>',
    declared === null ? '' : `<?xml version="1.0" encoding="${declared}"?>`,
  );
  const [before, after] = xml.split('\u0000') as [string, string];
  return Buffer.concat([Buffer.from(before, 'latin1'), BYTES, Buffer.from(after, 'latin1')]);
}

const lastNameIn = (answer: string) =>
  /<attrName>LastName<\/attrName><attrType>string<\/attrType><attrValue>([^<]*)</.exec(answer)?.[1];

for (const engine of testEngines()) {
  describe(`request bodies in Windows-1252 (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    const cases: Array<[string, string | null, string]> = [
      ['declared windows-1252', 'windows-1252', 'text/xml; charset=utf-8'],
      ['declared ISO-8859-1', 'ISO-8859-1', 'text/xml'],
      ['announced by the Content-Type alone', null, 'text/xml; charset=windows-1252'],
    ];
    for (const [what, declared, contentType] of cases) {
      it(`stores the characters a Windows client typed, ${what}`, async () => {
        const email = `cp1252-${cases.findIndex((c) => c[0] === what)}@example.com`;
        const stored = await postXml(service.url, cp1252Sync(email, declared), {
          headers: { 'Content-Type': contentType },
        });
        expect(stored.status, stored.body).to.equal(200);
        const answer = await rawCall(service.url, getLeadByEmailXml(email));
        expect(answer.status, answer.body).to.equal(200);
        expect(lastNameIn(answer.body)).to.equal(TYPED);
      });
    }
  });
}
