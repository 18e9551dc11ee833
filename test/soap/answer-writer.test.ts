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
import { mktowsHandlers, type CallContext } from '../../src/mktows/mktows.handlers.js';
import { fromLeadView } from '../../src/mktows/lead-record.mapper.js';
import { FULL_ACCESS } from '../../src/domain/permissions.js';
import { STANDARD_FIELDS } from '../../src/domain/field-catalogue.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import { testEngines } from '../support/database.js';
import { openHarness, type Harness } from '../support/harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NS = 'http://www.marketo.com/mktows/';

type ToDocument = (name: string, params: unknown, prefix: string, ns: string) => string;

/** node-soap's parsed mktows WSDL as the listener has it, and node-soap's own writer. */
async function mktowsWsdl(): Promise<{ wsdl: DocumentWriterWsdl; nodeSoap: ToDocument }> {
  const engine = await createSoapEngine({
    path: '/soap',
    wsdlXml: fs.readFileSync(path.join(root, 'wsdl', 'mktows.wsdl'), 'utf8'),
    services: {},
  });
  const wsdl = engine.wsdl as unknown as DocumentWriterWsdl;
  const proto = Object.getPrototypeOf(wsdl) as { objectToDocumentXML: ToDocument };
  return { wsdl, nodeSoap: (...args) => proto.objectToDocumentXML.apply(wsdl, args) };
}

/** Text with what an answer may carry: escapes, markup look-alikes, controls, astral and lone surrogates. */
const ODD_TEXTS = [
  '',
  ' ',
  'plain',
  `a&b<c>d"e'f`,
  '&amp; already escaped &lt;',
  'tab\there\r\nnew\nline\r',
  ']]>',
  'x]]>y<![CDATA[z',
  '<![CDATA[',
  ']]><![CDATA[',
  '<Id>9</Id>',
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f',
  'Zoë Ñandú 東京 עברית العربية',
  '😀 astral \u{1F4A9}',
  'lone \ud800 high, lone \udc00 low',
  '\ufffe\uffff\u2028\u2029\u0085',
  'x'.repeat(4000),
  '&'.repeat(10_000),
  'y'.repeat(1_000_000),
];

function lead(id: number, overrides: Partial<LeadView> = {}): LeadView {
  return {
    id,
    email: `p${id}@example.com`,
    foreignSysPersonId: null,
    foreignSysType: null,
    partition: 'Default',
    unsubscribed: false,
    attributes: STANDARD_FIELDS.map((f, i) => ({
      name: f.name,
      type: f.dataType,
      value:
        f.type === 'boolean'
          ? i % 2
            ? 'true'
            : 'false'
          : f.type === 'integer'
            ? String(i * 1000)
            : ODD_TEXTS[(id + i) % ODD_TEXTS.length]!,
    })),
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  };
}

/** The three hot answers as the handlers shape them, around mapper output from generated leads. */
function mapperCorpus(): [string, Record<string, unknown>][] {
  const answers: [string, Record<string, unknown>][] = [];
  const leads = [
    lead(1),
    lead(2, { email: null, attributes: [] }),
    lead(3, { foreignSysPersonId: 'SF-1&2', foreignSysType: 'SFDC' }),
    lead(2147483647, { email: '' }),
    ...ODD_TEXTS.map((t, i) =>
      lead(10 + i, {
        email: t,
        foreignSysPersonId: t,
        attributes: [{ name: `Custom${i}`, type: 'text', value: t }],
      }),
    ),
  ];
  for (const l of leads) {
    const record = fromLeadView(l);
    answers.push([
      'successGetLead',
      { result: { count: 1, leadRecordList: { leadRecord: [record] } } },
    ]);
    for (const status of ['CREATED', 'UPDATED'])
      for (const leadRecord of [record, null])
        answers.push([
          'successSyncLead',
          {
            result: { leadId: l.id, syncStatus: { leadId: l.id, status, error: null }, leadRecord },
          },
        ]);
  }
  answers.push([
    'successGetLead',
    {
      result: {
        count: leads.length,
        leadRecordList: { leadRecord: leads.map((l) => fromLeadView(l)) },
      },
    },
  ]);
  for (const n of [1, 2, 300]) {
    const syncStatus = Array.from({ length: n }, (_, i) =>
      i % 7 === 3
        ? {
            leadId: 0,
            status: 'FAILED',
            error: `20105 ${ODD_TEXTS[i % ODD_TEXTS.length]!.slice(0, 300)}`,
          }
        : { leadId: i + 1, status: i % 2 ? 'UPDATED' : 'CREATED', error: null },
    );
    answers.push(['successSyncMultipleLeads', { result: { syncStatusList: { syncStatus } } }]);
  }
  return answers;
}

const ctx: CallContext = { userId: 'writer_test', permissions: FULL_ACCESS };

/** Answers of the real handlers over a real database: creations, updates, failures, batches. */
async function serviceCorpus(h: Harness): Promise<[string, Record<string, unknown>][]> {
  const handlers = mktowsHandlers(h.services, { maxBatchSize: 1000, getLeadMaxResults: 100 });
  const answers: [string, Record<string, unknown>][] = [];
  const attributeList = (i: number, text: string) => ({
    attribute: [
      { attrName: 'FirstName', attrValue: text.slice(0, 255) },
      { attrName: 'Company', attrValue: `Co ${i} & <Sons>` },
      { attrName: 'LeadScore', attrValue: String(i) },
      { attrName: 'DoNotCall', attrValue: i % 2 ? 'true' : 'false' },
      { attrName: 'AnnualRevenue', attrValue: '1234.5' },
      { attrName: 'DateOfBirth', attrValue: '1990-02-28' },
      { attrName: 'Address', attrValue: text.slice(0, 4000) },
      { attrName: 'UnsubscribedReason', attrValue: text.slice(0, 4000) },
    ],
  });
  const texts = ODD_TEXTS.filter((t) => t.length <= 4000);
  for (const [i, text] of texts.entries()) {
    let stored = false;
    for (const returnLead of ['true', 'false']) {
      const leadRecord = {
        Email: `w${i}@example.com`,
        ...(i % 3 === 0 ? { ForeignSysPersonId: `F${i}<&>`, ForeignSysType: 'SFDC' } : {}),
        leadAttributeList: attributeList(i, text),
      };
      try {
        answers.push([
          'successSyncLead',
          await handlers.syncLead!({ leadRecord, returnLead }, ctx),
        ]);
        stored = true;
      } catch {
        // A value the service refuses is no answer to write.
      }
    }
    if (stored)
      answers.push([
        'successGetLead',
        await handlers.getLead!(
          { leadKey: { keyType: 'EMAIL', keyValue: `w${i}@example.com` } },
          ctx,
        ),
      ]);
  }
  // Unsubscribe one, then read it: the boolean and the reason come back.
  await handlers.syncLead!(
    {
      leadRecord: {
        Email: 'w0@example.com',
        leadAttributeList: { attribute: [{ attrName: 'Unsubscribed', attrValue: 'true' }] },
      },
      returnLead: 'true',
    },
    ctx,
  ).then((a) => answers.push(['successSyncLead', a]));
  for (const n of [1, 300]) {
    const leadRecord = Array.from({ length: n }, (_, i) =>
      i % 11 === 5
        ? { Id: 'not-a-number' }
        : {
            Email: `b${n}-${i % 150}@example.com`,
            leadAttributeList: attributeList(i, texts[i % texts.length]!),
          },
    );
    answers.push([
      'successSyncMultipleLeads',
      await handlers.syncMultipleLeads!(
        { leadRecordList: { leadRecord }, dedupEnabled: 'true' },
        ctx,
      ),
    ]);
  }
  return answers;
}

/** Compares the writer with node-soap on every answer; returns how many it declined. */
function compare(
  writer: AnswerWriter,
  nodeSoap: ToDocument,
  answers: [string, unknown][],
  prefix = 'tns',
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
    expect(wsdl.objectToDocumentXML('successGetLead', answer, 'tns', NS)).to.equal(
      nodeSoap('successGetLead', answer, 'tns', NS),
    );
  });

  it('equals node-soap on every mapper-built answer (every field type, odd text, 1 and 300 results), declining none', () => {
    const answers = mapperCorpus();
    expect(answers.length).to.be.greaterThan(100);
    expect(compare(writer, nodeSoap, answers)).to.equal(0);
    // A prefix node-soap must declare on the element.
    expect(compare(writer, nodeSoap, answers.slice(0, 20), 'ns1')).to.equal(0);
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
      { cdata: '<![CDATA[<Id>9</Id>]]>' },
      { cdata: '<![CDATA[]]>' },
      cyclic,
      deep,
    ];
    for (const params of odd)
      expect(
        writer.write('successGetLead', { result: params }, 'tns', NS),
        String(params),
      ).to.equal(undefined);
    // Whole-answer shapes node-soap treats specially, and answers the writer does not take.
    for (const params of [null, 'text', 5, [{ a: 1 }], { _xml: '<x/>' }, new Date()])
      expect(writer.write('successGetLead', params, 'tns', NS)).to.equal(undefined);
    const fine = { result: { a: 1 } };
    expect(writer.write('successGetLeadActivity', fine, 'tns', NS)).to.equal(undefined);
    expect(writer.write('successGetLead', fine, '', NS)).to.equal(undefined);
    expect(writer.write('successGetLead', fine, 'tns', 'urn:other')).to.equal(undefined);
    expect(writer.write('successGetLead', fine, 'a:b', NS)).to.equal(undefined);
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

      it('equals node-soap on every getLead, syncLead and syncMultipleLeads answer, declining none', async () => {
        const answers = await serviceCorpus(h);
        expect(answers.filter(([n]) => n === 'successSyncLead').length).to.be.greaterThan(20);
        expect(answers.filter(([n]) => n === 'successGetLead').length).to.be.greaterThan(10);
        expect(answers.filter(([n]) => n === 'successSyncMultipleLeads').length).to.equal(2);
        expect(compare(writer, nodeSoap, answers)).to.equal(0);
      });
    });
  }
});
