import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createSoapEngine, RAW_TEXT_TYPES } from '../../src/soap-transport/soap-engine.js';
import { createRequestReader } from '../../src/soap-transport/fast-request-reader.js';
import type { RequestReader } from '../../src/soap-transport/request-reader.js';
import type { WsdlInternals } from '../../src/soap-transport/request-shapes.js';
import { createSoapListener } from '../../src/soap-transport/listener.js';
import { FAST_READ } from '../../src/mktows/fast-read.js';
import * as bench from '../../bench/lib/soap.js';
import { EXOTIC, normalCorpus } from './fast-read-corpus.js';
import { seeded } from '../support/seeded.js';
import { mutate, trickyCorpus, variation } from './fast-read-oddities.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MKTOWS_WSDL = path.resolve(here, '../../wsdl/mktows.wsdl');
const SALESFORCE_WSDL = path.resolve(here, '../../wsdl/salesforce-outbound.wsdl');
/** Request envelopes captured from the SOAP tests and the interop clients (zeep, PHP, JAX-WS …). */
const CAPTURED: string[] = JSON.parse(
  fs.readFileSync(path.resolve(here, 'fixtures/captured-requests.json'), 'utf8'),
) as string[];

const HOT = /<(?:[A-Za-z0-9_.-]+:)?params(?:GetLead|SyncLead|SyncMultipleLeads)[\s/>]/;

/** node-soap's own reading, as JSON (key order included), or the refusal it answers with. */
function nodeSoapRead(wsdl: WsdlInternals, xml: string): { json?: string; refused?: true } {
  try {
    return { json: JSON.stringify(wsdl.xmlToObject(xml)) };
  } catch {
    return { refused: true };
  }
}

describe('the fast request reader (src/soap-transport/fast-request-reader.ts)', function () {
  this.timeout(60_000);
  let wsdl: WsdlInternals;
  let reader: RequestReader;

  before(async () => {
    // An engine without the reader installed: its xmlToObject is node-soap's own.
    const engine = await createSoapEngine({
      path: '/soap/mktows',
      wsdlXml: fs.readFileSync(MKTOWS_WSDL, 'utf8'),
      services: {},
    });
    wsdl = engine.wsdl as unknown as WsdlInternals;
    reader = createRequestReader(wsdl, RAW_TEXT_TYPES, FAST_READ)!;
    expect(reader).to.not.equal(null);
  });

  /** Reads `xml` both ways: the reader's result must be node-soap's, or a decline. */
  function compare(xml: string): 'read' | 'declined' {
    const fast = reader.read(xml);
    if (fast === undefined) return 'declined';
    const stock = nodeSoapRead(wsdl, xml);
    expect(stock.refused, `node-soap refuses what the reader read:\n${xml}`).to.equal(undefined);
    expect(JSON.stringify(fast), xml).to.equal(stock.json);
    return 'read';
  }

  it('reads every hot request clients and the bench send, exactly as node-soap does (none declined)', () => {
    const corpus = [...normalCorpus(), ...CAPTURED.filter((x) => HOT.test(x))];
    expect(corpus.length).to.be.greaterThan(150);
    const declined = corpus.filter((xml) => compare(xml) === 'declined');
    expect(declined, 'declined on the normal corpus').to.deep.equal([]);
  });

  it('the captured corpus holds the interop clients’ hot requests', () => {
    const hot = CAPTURED.filter((x) => HOT.test(x));
    // zeep's ns0, PHP's ns1 with SOAP-ENV, JAX-WS's S: envelope: real stacks, not only ours.
    expect(hot.some((x) => x.includes('<soap-env:Envelope'))).to.equal(true);
    expect(hot.some((x) => x.includes('<S:Envelope'))).to.equal(true);
    expect(hot.some((x) => x.includes('<SOAP-ENV:Envelope'))).to.equal(true);
    for (const xml of CAPTURED) compare(xml);
  });

  it('reads node-soap’s oddities (one namespace map per document, repeated members) its way, or declines', () => {
    // Those the envelope guard refuses (a prefix node-soap's one map binds otherwise than its
    // scope, a nil element that is not empty) are declined; the rest read.
    const outcomes = trickyCorpus().map(compare);
    expect(outcomes).to.deep.equal([
      'declined',
      'read',
      'read',
      'read',
      'read',
      'declined',
      'read',
      'declined',
    ]);
  });

  it('gives arrays for one item, null for nil and empty lists, raw text for typed leaves', () => {
    const one = reader.read(
      bench.envelope(
        '<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Id>12abc</Id><Email/></leadRecord></leadRecordList>' +
          '<dedupEnabled xsi:nil="true"/></ns1:paramsSyncMultipleLeads>',
      ),
    ) as { Body: { paramsSyncMultipleLeads: unknown } };
    expect(one.Body.paramsSyncMultipleLeads).to.deep.equal({
      leadRecordList: { leadRecord: [{ Id: '12abc', Email: '' }] },
      dedupEnabled: null,
    });
    const none = reader.read(
      bench.envelope(
        '<ns1:paramsSyncMultipleLeads><leadRecordList/></ns1:paramsSyncMultipleLeads>',
      ),
    ) as { Body: { paramsSyncMultipleLeads: unknown } };
    expect(none.Body.paramsSyncMultipleLeads).to.deep.equal({ leadRecordList: null });
  });

  it('reads a member by the name its schema spells only where that name ends there, and spaces between elements as nothing', () => {
    const record = (inner: string) =>
      bench.envelope(
        `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord>${inner}</leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`,
      );
    // Each begins as a member's name: read as the name it is, never as the member.
    const outcomes = [
      record('<Email >a@b.example</Email >'),
      record('<Email\n/>'),
      record('<Email\t\r\n>a@b.example</Email>'),
      record('<EmailX>a@b.example</EmailX>'),
      record('<Emai>a@b.example</Emai>'),
      record('<Email:x xmlns:Email="urn:other">a@b.example</Email:x>'),
      record('<Email.1>a@b.example</Email.1>'),
      record('<email>a@b.example</email>'),
      record(
        '\n  <Email>a@b.example</Email>\r\n\t<leadAttributeList>\n <attribute> <attrName>FirstName</attrName>\n' +
          '   <attrValue> Ann </attrValue></attribute>\n </leadAttributeList>\n',
      ),
    ].map(compare);
    expect(outcomes[0]).to.equal('read');
    expect(outcomes[2]).to.equal('read');
    expect(outcomes.at(-1)).to.equal('read');
    expect(outcomes.slice(3, 6)).to.deep.equal(['declined', 'declined', 'declined']);
    // Spaces between elements are nothing; inside a leaf they stay around its trimmed text.
    const spaced = reader.read(record('\n <Email> a@b.example </Email>\n')) as {
      Body: { paramsSyncMultipleLeads: { leadRecordList: { leadRecord: unknown[] } } };
    };
    expect(spaced.Body.paramsSyncMultipleLeads.leadRecordList.leadRecord).to.deep.equal([
      { Email: 'a@b.example' },
    ]);
  });

  it('checks text past its one-pass plain-text test as before: what it cannot take declines, the rest reads as node-soap', () => {
    const withEmail = (text: string) =>
      bench.envelope(
        `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${text}</Email></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`,
      );
    const emailOf = (xml: string) =>
      (
        reader.read(xml) as {
          Body: { paramsSyncMultipleLeads: { leadRecordList: { leadRecord: unknown[] } } };
        }
      ).Body.paramsSyncMultipleLeads.leadRecordList.leadRecord[0];
    // Each character the plain pass stops at, alone and at either end of a text.
    for (const text of ['a]]>b', ']]>', 'a\u0001b', '\u0008', 'a\uFFFEb', 'a\uD800b'])
      expect(compare(withEmail(text)), JSON.stringify(text)).to.equal('declined');
    const read: Array<[string, string]> = [
      ['a]b', 'a]b'],
      [']', ']'],
      ['A&amp;B&#233;&#x41;', 'A&BéA'],
      ['&lt;', '<'],
      ['a\u007fb', 'a\u007fb'],
      ['zoë@b.example', 'zoë@b.example'],
      ['a\tb\r\nc', 'a\tb\r\nc'],
      ['~ !"#$%\'()*+,-./:;=?@[\\^_`{|}', '~ !"#$%\'()*+,-./:;=?@[\\^_`{|}'],
    ];
    for (const [text, value] of read) {
      expect(compare(withEmail(text)), JSON.stringify(text)).to.equal('read');
      expect(emailOf(withEmail(text)), JSON.stringify(text)).to.deep.equal({ Email: value });
    }
  });

  it('takes an unprefixed name’s namespace from the nearest default declaration, its own first', () => {
    const params = (attributes: string, list: string) =>
      bench.envelope(
        `<ns1:paramsSyncMultipleLeads${attributes}>${list}<dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
      );
    const list =
      '<leadRecordList><leadRecord><Email>a@b.example</Email></leadRecord></leadRecordList>';
    // Declared on the parent: its unprefixed children are in that namespace, not the read one.
    expect(compare(params(' xmlns="urn:elsewhere"', list))).to.equal('declined');
    // …and so are their children, however deep.
    expect(
      compare(
        params(
          '',
          '<leadRecordList xmlns="urn:elsewhere"><leadRecord><Email>a@b.example</Email></leadRecord></leadRecordList>',
        ),
      ),
    ).to.equal('declined');
    expect(
      compare(
        params(
          '',
          '<leadRecordList><leadRecord><Email xmlns="urn:elsewhere">a@b.example</Email></leadRecord></leadRecordList>',
        ),
      ),
    ).to.equal('declined');
    // Undeclared again on a child, or declared as the read namespace: read.
    expect(
      compare(
        params(
          ' xmlns="urn:elsewhere"',
          list.replace('<leadRecordList>', '<leadRecordList xmlns="">'),
        ),
      ),
    ).to.equal('declined'); // dedupEnabled, after it, is still in urn:elsewhere
    expect(
      compare(
        params(
          ' xmlns="urn:elsewhere"',
          list.replace('<leadRecordList>', '<leadRecordList xmlns="">') +
            '<dedupEnabled xmlns="">true</dedupEnabled>',
        ).replace('<dedupEnabled>true</dedupEnabled>', ''),
      ),
    ).to.equal('read');
    const ns = FAST_READ.namespace;
    expect(compare(params(` xmlns="${ns}"`, list))).to.equal('read');
    // A sibling after an element that declared one is back in its parent's.
    expect(
      compare(
        params(
          '',
          '<leadRecordList><leadRecord xmlns="urn:elsewhere"/><leadRecord><Email>a@b.example</Email></leadRecord></leadRecordList>',
        ),
      ),
    ).to.equal('declined');
    expect(
      compare(
        params(
          '',
          `<leadRecordList><leadRecord xmlns="${ns}"><Email>x@b.example</Email></leadRecord><leadRecord><Email>a@b.example</Email></leadRecord></leadRecordList>`,
        ),
      ),
    ).to.equal('read');
  });
  for (const [name, xml] of Object.entries(EXOTIC)) {
    it(`leaves to node-soap: ${name}`, () => {
      const before = reader.stats.declined;
      expect(reader.read(xml)).to.equal(undefined);
      expect(reader.stats.declined).to.equal(before + 1);
    });
  }

  it('on thousands of mutated requests, reads exactly as node-soap or declines, and never fails', () => {
    const seeds = [
      ...normalCorpus(),
      ...trickyCorpus(),
      ...CAPTURED.filter((x) => HOT.test(x)),
    ].filter((x) => x.length < 20_000);
    const next = seeded(15);
    let read = 0;
    let declined = 0;
    for (let i = 0; i < 6000; i++) {
      let xml = seeds[Math.floor(next() * seeds.length)]!;
      const rounds = 1 + Math.floor(next() * 3);
      for (let r = 0; r < rounds; r++) xml = mutate(xml, next);
      if (compare(xml) === 'read') read++;
      else declined++;
    }
    expect(reader.stats.failed).to.equal(0);
    // Both outcomes happen: mutations the reader is sure of, and ones it leaves.
    expect(read).to.be.greaterThan(300);
    expect(declined).to.be.greaterThan(300);
  });

  it('on thousands of well-formed variations clients could send, reads most, each exactly as node-soap', () => {
    const seeds = [
      ...normalCorpus(),
      ...trickyCorpus(),
      ...CAPTURED.filter((x) => HOT.test(x)),
    ].filter((x) => x.length < 20_000);
    const next = seeded(4242);
    let read = 0;
    const total = 4000;
    for (let i = 0; i < total; i++) {
      let xml = seeds[Math.floor(next() * seeds.length)]!;
      const rounds = 1 + Math.floor(next() * 4);
      for (let r = 0; r < rounds; r++) xml = variation(xml, next);
      if (compare(xml) === 'read') read++;
    }
    expect(reader.stats.failed).to.equal(0);
    expect(read).to.be.greaterThan(total / 2);
  });

  it('declines, counting a failure, when something in it throws', () => {
    const broken = Object.create(wsdl, {
      findSchemaObject: {
        value: () => {
          throw new Error('lookup failed');
        },
      },
    }) as WsdlInternals;
    const fragile = createRequestReader(broken, RAW_TEXT_TYPES, FAST_READ)!;
    const typed = bench.envelope(
      '<ns1:paramsGetLead><leadKey><keyType xsi:type="ns1:LeadKeyRef">EMAIL</keyType></leadKey></ns1:paramsGetLead>',
    );
    expect(fragile.read(typed)).to.equal(undefined);
    expect(fragile.stats).to.deep.equal({ read: 0, declined: 1, failed: 1 });
    expect(fragile.read(bench.envelope(bench.getLeadByEmail('a@example.com')))).to.not.equal(
      undefined,
    );
  });

  it('once installed, answers what it declines with node-soap’s own reading', async () => {
    const installed = await createSoapEngine({
      path: '/soap/mktows',
      wsdlXml: fs.readFileSync(MKTOWS_WSDL, 'utf8'),
      services: {},
      fastRead: FAST_READ,
    });
    const viaReader = installed.wsdl as unknown as WsdlInternals;
    for (const xml of Object.values(EXOTIC)) {
      expect(nodeSoapRead(viaReader, xml), xml).to.deep.equal(nodeSoapRead(wsdl, xml));
    }
    expect(installed.requestReader!.stats.read).to.equal(0);
    // (node-soap reads a CDATA holding an XML declaration by calling itself again: one more.)
    expect(installed.requestReader!.stats.declined).to.be.at.least(Object.keys(EXOTIC).length);
    expect(installed.requestReader!.stats.failed).to.equal(0);
  });

  it('costs time linear in the request (300 records ≈ 10 × 30 records)', () => {
    const of = (n: number) =>
      bench.envelope(
        bench.syncMultipleLeads(
          Array.from({ length: n }, (_, i) => ({ email: `l${i}@example.com`, attrs: { A: 'x' } })),
        ),
      );
    const small = of(30);
    const large = of(300);
    const cpu = (xml: string, times: number) => {
      const start = process.cpuUsage();
      for (let i = 0; i < times; i++) reader.read(xml);
      const used = process.cpuUsage(start);
      return used.user + used.system;
    };
    cpu(large, 20);
    const ratios: number[] = [];
    for (let round = 0; round < 5; round++) ratios.push(cpu(large, 20) / cpu(small, 200));
    ratios.sort((a, b) => a - b);
    expect(ratios[2]).to.be.lessThan(3);
  });

  it('is installed by the mktows listener, and node-soap hands it every hot request', async () => {
    const listener = await createSoapListener<object>({
      path: '/soap/mktows',
      wsdlFile: MKTOWS_WSDL,
      service: 'MktMktowsApiService',
      port: 'MktowsApiSoapPort',
      operations: { getLead: async (args) => ({ result: { count: 0, echo: args } }) },
      requestTimeoutMs: 10_000,
      fastRead: FAST_READ,
    });
    expect(listener.requestReader).to.not.equal(null);
    const before = listener.requestReader!.stats.read;
    const { answer } = listener.process(
      bench.envelope(bench.getLeadByEmail('x@example.com')),
      { headers: {}, url: '/soap/mktows', soapAction: '' },
      {},
    );
    expect((await answer).statusCode).to.equal(200);
    expect(listener.requestReader!.stats.read).to.equal(before + 1);
  });

  it('leaves the Salesforce listener as it was: nothing installed, nothing read', async () => {
    const listener = await createSoapListener<object>({
      path: '/soap/salesforce/outbound',
      wsdlFile: SALESFORCE_WSDL,
      service: 'NotificationService',
      port: 'Notification',
      operations: { notifications: async () => ({ Ack: true }) },
      requestTimeoutMs: 10_000,
      rawTextTypes: ['boolean', 'dateTime'],
    });
    expect(listener.requestReader).to.equal(null);
    // Even asked to, a reader over that WSDL finds none of the hot messages and is not made.
    const engine = await createSoapEngine({
      path: '/soap/salesforce/outbound',
      wsdlXml: fs.readFileSync(SALESFORCE_WSDL, 'utf8'),
      services: {},
      rawTextTypes: ['boolean', 'dateTime'],
    });
    expect(
      createRequestReader(engine.wsdl as unknown as WsdlInternals, ['boolean'], FAST_READ),
    ).to.equal(null);
  });
});
