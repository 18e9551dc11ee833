import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  createAnswerWriter,
  FAST_ANSWER_ELEMENTS,
  type AnswerWriter,
  type DocumentWriterWsdl,
} from '../../src/soap-transport/answer-writer.js';
import { createSoapEngine } from '../../src/soap-transport/soap-engine.js';
import { testEngines } from '../support/database.js';
import { openHarness, type Harness } from '../support/harness.js';
import { validateBodyChild } from '../support/schema.js';
import {
  envelope,
  getLeadByEmailXml,
  postXml,
  startTestService,
  type TestService,
} from '../support/service.js';
import { mapperCorpus, serviceCorpus } from './answer-corpus.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NS = 'http://www.marketo.com/mktows/';

type ToDocument = (name: string, params: unknown, prefix: string, ns: string) => string;

/** node-soap's parsed mktows WSDL as the listener has it, and node-soap's own writer. */
async function mktowsWsdl(): Promise<{ wsdl: DocumentWriterWsdl; nodeSoap: ToDocument }> {
  const engine = await createSoapEngine({
    path: '/soap',
    wsdlXml: fs.readFileSync(path.join(root, 'wsdl', 'mktows.wsdl'), 'utf8'),
    services: {},
    // As the mktows endpoint writes its answers: the vendor's ns1, declared on the Envelope.
    answerPrefix: { namespace: NS, prefix: 'ns1' },
  });
  const wsdl = engine.wsdl as unknown as DocumentWriterWsdl;
  const proto = Object.getPrototypeOf(wsdl) as { objectToDocumentXML: ToDocument };
  return { wsdl, nodeSoap: (...args) => proto.objectToDocumentXML.apply(wsdl, args) };
}

/** Compares the writer with node-soap on every answer; returns how many it declined. */
function compare(
  writer: AnswerWriter,
  nodeSoap: ToDocument,
  answers: [string, unknown][],
  prefix = 'ns1',
): number {
  let declined = 0;
  for (const [name, params] of answers) {
    const fast = writer.write(name, params, prefix, NS);
    if (fast === undefined) {
      declined++;
      continue;
    }
    const expected = nodeSoap(name, params, prefix, NS);
    if (fast !== expected) {
      let at = 0;
      while (fast[at] === expected[at]) at++;
      expect.fail(
        `${name} differs at ${at}: ${JSON.stringify(fast.slice(at - 40, at + 40))} vs ${JSON.stringify(expected.slice(at - 40, at + 40))}`,
      );
    }
  }
  return declined;
}

describe('fast answer writer: byte for byte what node-soap writes, or declines', () => {
  let wsdl: DocumentWriterWsdl;
  let nodeSoap: ToDocument;
  let writer: AnswerWriter;
  before(async () => {
    ({ wsdl, nodeSoap } = await mktowsWsdl());
    writer = createAnswerWriter(wsdl, FAST_ANSWER_ELEMENTS)!;
    expect(writer).to.not.equal(null);
  });

  it('is installed in front of node-soap by the engine', async () => {
    expect(Object.prototype.hasOwnProperty.call(wsdl, 'objectToDocumentXML')).to.equal(true);
    const answer = {
      result: { count: 1, leadRecordList: { leadRecord: [{ Id: 1, Email: null }] } },
    };
    expect(wsdl.objectToDocumentXML('successGetLead', answer, 'ns1', NS)).to.equal(
      nodeSoap('successGetLead', answer, 'ns1', NS),
    );
  });

  it('equals node-soap on every mapper-built answer (every field type, odd text, empty, 1 and 300 results), declining none', () => {
    const answers = mapperCorpus();
    expect(answers.length).to.be.greaterThan(100);
    expect(compare(writer, nodeSoap, answers)).to.equal(0);
    // The WSDL's own alias, also declared on the Envelope; a prefix node-soap must declare on
    // the element.
    expect(compare(writer, nodeSoap, answers.slice(0, 20), 'tns')).to.equal(0);
    expect(compare(writer, nodeSoap, answers.slice(0, 20), 'ns2')).to.equal(0);
  });

  it('equals node-soap on generic shapes it takes: null, omitted and undefined keys, empty lists, scalars in lists', () => {
    const shapes: unknown[] = [
      {},
      { a: undefined, b: null, c: '', d: 0, e: -0, f: 1.5e-7, g: 1e21, h: true, i: false },
      { list: [], other: [null, 'x', 3, { y: [] }] },
      { nested: { deeper: { deepest: { v: 'x' } } } },
      { _under: 'v', 'dotted.name-x': 'w' },
      Object.assign(Object.create(null) as object, { a: 'no prototype' }),
    ];
    expect(
      compare(
        writer,
        nodeSoap,
        shapes.map((s) => ['successSyncLead', s]),
      ),
    ).to.equal(0);
  });

  it('declines what it does not know, and never throws', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 100; i++) deep = { d: deep };
    class Record_ {
      Id = 1;
    }
    const odd: unknown[] = [
      { when: new Date(0) },
      { r: new Record_() },
      { f: () => 'x' },
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { b: 10n },
      { s: Symbol('s') },
      { m: new Map([['a', 1]]) },
      { list: [1, undefined] },
      { list: [[1, 2]] },
      { attributes: { id: 'x' } },
      { x: { attributes: { xsi_type: { type: 'T' } } } },
      { $value: 'text' },
      { $xml: '<raw/>' },
      { 'ns:prefixed': 'x' },
      { ':leading': 'x' },
      { '1digit': 'x' },
      { 'has space': 'x' },
      { '': 'x' },
      cyclic,
      deep,
    ];
    for (const params of odd)
      expect(
        writer.write('successGetLead', { result: params }, 'ns1', NS),
        String(params),
      ).to.equal(undefined);
    // Whole-answer shapes node-soap treats specially, and answers the writer does not take.
    for (const params of [null, 'text', 5, [{ a: 1 }], { _xml: '<x/>' }, new Date()])
      expect(writer.write('successGetLead', params, 'ns1', NS)).to.equal(undefined);
    const fine = { result: { a: 1 } };
    expect(writer.write('successDescribeMObject', fine, 'ns1', NS)).to.equal(undefined);
    expect(writer.write('successGetLead', fine, '', NS)).to.equal(undefined);
    expect(writer.write('successGetLead', fine, 'ns1', 'urn:other')).to.equal(undefined);
    expect(writer.write('successGetLead', fine, 'a:b', NS)).to.equal(undefined);
  });

  it('writes a CDATA-wrapped string as escaped text, where node-soap would write it as markup', () => {
    const injected = '<![CDATA[x]]><Id>9</Id><injected/><![CDATA[y]]>';
    const params = { result: { leadRecord: { Id: 1, FirstName: injected } } };
    const xml = writer.write('successGetLead', params, 'ns1', NS)!;
    expect(xml).to.include(
      '<FirstName>&lt;![CDATA[x]]&gt;&lt;Id&gt;9&lt;/Id&gt;&lt;injected/&gt;&lt;![CDATA[y]]&gt;</FirstName>',
    );
    expect(xml.match(/<Id>/g)).to.have.length(1);
    // The difference is deliberate: node-soap's own text carries the injected elements.
    expect(nodeSoap('successGetLead', params, 'ns1', NS)).to.include('<Id>9</Id><injected/>');
  });

  it('is not made under node-soap options that change what it writes', () => {
    for (const change of [
      { useEmptyTag: true },
      { escapeXML: false },
      { namespaceArrayElements: false },
      { overrideRootElement: { namespace: 'x' } },
      { attributesKey: '$attributes' },
    ])
      expect(
        createAnswerWriter(
          { ...wsdl, options: { ...wsdl.options, ...change } },
          FAST_ANSWER_ELEMENTS,
        ),
      ).to.equal(null);
  });

  for (const engine of testEngines()) {
    describe(`on the real handlers' answers (${engine.name})`, () => {
      let h: Harness;
      before(async () => {
        h = await openHarness(engine);
      });
      after(() => h.drop());

      it('equals node-soap on every answer of the operations it takes, declining none', async () => {
        const answers = await serviceCorpus(h);
        expect(answers.filter(([n]) => n === 'successSyncLead').length).to.be.greaterThan(20);
        expect(answers.filter(([n]) => n === 'successGetLead').length).to.be.greaterThan(10);
        expect(answers.filter(([n]) => n === 'successSyncMultipleLeads').length).to.equal(2);
        for (const name of FAST_ANSWER_ELEMENTS)
          expect(answers.filter(([n]) => n === name).length, name).to.be.greaterThan(1);
        const activities = answers.filter(([n]) => n === 'successGetLeadActivity');
        expect(JSON.stringify(activities)).to.include('activityRecord');
        expect(JSON.stringify(answers.filter(([n]) => n === 'successGetLeadChanges'))).to.include(
          'leadChangeRecord',
        );
        expect(compare(writer, nodeSoap, answers)).to.equal(0);
      });
    });
  }
});

for (const engine of testEngines()) {
  describe(`a stored value shaped like a CDATA section, on the wire (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('comes back in every answer as the text that was stored, never as elements', async () => {
      const stored = '<![CDATA[x]]><Id>999</Id><injected/><![CDATA[y]]>';
      const escaped = stored.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      const sync = await postXml(
        service.url,
        envelope(
          '<ns1:paramsSyncLead><leadRecord><Email>cdata@example.com</Email><leadAttributeList>' +
            `<attribute><attrName>FirstName</attrName><attrValue>${escaped}</attrValue></attribute>` +
            '</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>',
        ),
      );
      const get = await postXml(service.url, envelope(getLeadByEmailXml('cdata@example.com')));
      for (const answer of [sync, get]) {
        expect(answer.status, answer.body).to.equal(200);
        expect(answer.body).to.not.include('<injected');
        expect(answer.body).to.not.include('<Id>999');
        expect(answer.body).to.include(`<attrValue>${escaped}</attrValue>`);
        validateBodyChild(answer.body);
      }
    });
  });
}
