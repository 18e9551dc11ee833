import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createSoapEngine, RAW_TEXT_TYPES } from '../../src/soap-transport/soap-engine.js';
import { createRequestReader } from '../../src/soap-transport/fast-request-reader.js';
import type { RequestReader } from '../../src/soap-transport/request-reader.js';
import type { WsdlInternals } from '../../src/soap-transport/request-shapes.js';
import { inspectEnvelope, type GuardLimits } from '../../src/soap-transport/envelope-guard.js';
import { createSoapListener } from '../../src/soap-transport/listener.js';
import { elementTree } from '../../src/soap-transport/schema-elements.js';
import { FAST_READ, summaryOfRead } from '../../src/mktows/fast-read.js';
import * as bench from '../../bench/lib/soap.js';
import { normalCorpus } from './fast-read-corpus.js';
import { seeded } from '../support/seeded.js';
import { mutate, trickyCorpus, variation } from './fast-read-oddities.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MKTOWS_WSDL = path.resolve(here, '../../wsdl/mktows.wsdl');
const CAPTURED: string[] = JSON.parse(
  fs.readFileSync(path.resolve(here, 'fixtures/captured-requests.json'), 'utf8'),
) as string[];
const MKTOWS = 'http://www.marketo.com/mktows/';

/**
 * The endpoint lets the request reader read first, under the guard's limits, and skips the
 * guard's scan when it read: so whatever readGuarded reads, the guard must pass, with the
 * summary the endpoint takes from the reading, and the reading must be node-soap's.
 */
describe('the request reader under the envelope guard’s limits (one scan per request)', function () {
  this.timeout(60_000);
  let wsdl: WsdlInternals;
  let reader: RequestReader;
  const wsdlXml = fs.readFileSync(MKTOWS_WSDL, 'utf8');
  const names = [...wsdlXml.matchAll(/<xs:element\s+name="([^"]+)"/g)].map((m) => m[1]!);
  const lower = new Set(names.map((n) => n.toLowerCase()));
  const limits: GuardLimits = {
    maxDepth: 64,
    maxNameLength: 256,
    maxAttributes: 100,
    knownElements: { has: (n: string) => lower.has(n.toLowerCase()) } as ReadonlySet<string>,
  };

  before(async () => {
    const engine = await createSoapEngine({ path: '/soap/mktows', wsdlXml, services: {} });
    wsdl = engine.wsdl as unknown as WsdlInternals;
    reader = createRequestReader(wsdl, RAW_TEXT_TYPES, FAST_READ)!;
  });

  function check(xml: string, guard: GuardLimits = limits): 'read' | 'declined' {
    const read = reader.readGuarded(xml, guard);
    if (read === undefined) return 'declined';
    // Not plain header fields: the endpoint has the guard scan it after all.
    const derived = summaryOfRead(read);
    if (derived) expect(derived, xml).to.deep.equal(inspectEnvelope(xml, guard));
    expect(JSON.stringify(read), xml).to.equal(JSON.stringify(wsdl.xmlToObject(xml)));
    return 'read';
  }

  const seeds = () =>
    [...normalCorpus(), ...trickyCorpus(), ...CAPTURED].filter((x) => x.length < 20_000);

  it('reads the normal corpus, each with the summary the guard gives', () => {
    const corpus = normalCorpus();
    expect(corpus.filter((xml) => check(xml) === 'declined')).to.deep.equal([]);
    // All but an empty Header (null in node-soap's reading, the guard reads it) need no guard.
    const unsummed = corpus.filter((xml) => !summaryOfRead(reader.readGuarded(xml, limits)));
    expect(unsummed.every((xml) => /<[\w-]+:Header\s*(\/>|>\s*<\/)/.test(xml))).to.equal(true);
    expect(unsummed.length).to.be.lessThan(corpus.length / 50);
  });

  it('on thousands of mutated and varied requests, reads only what the guard passes alike', () => {
    const all = seeds();
    const next = seeded(77);
    let read = 0;
    for (let i = 0; i < 8000; i++) {
      let xml = all[Math.floor(next() * all.length)]!;
      const rounds = 1 + Math.floor(next() * 3);
      for (let r = 0; r < rounds; r++) xml = i % 2 ? mutate(xml, next) : variation(xml, next);
      if (check(xml) === 'read') read++;
    }
    expect(reader.stats.failed).to.equal(0);
    expect(read).to.be.greaterThan(1000);
  });

  it('under the element tree (each member where its type declares it), reads only what the guard passes alike', () => {
    const treeLimits: GuardLimits = {
      ...limits,
      knownElements: undefined,
      elementTree: elementTree(wsdlXml),
    };
    const corpus = normalCorpus();
    expect(corpus.filter((xml) => check(xml, treeLimits) === 'declined')).to.deep.equal([]);
    const all = seeds();
    const next = seeded(78);
    let read = 0;
    for (let i = 0; i < 4000; i++) {
      let xml = all[Math.floor(next() * all.length)]!;
      const rounds = 1 + Math.floor(next() * 3);
      for (let r = 0; r < rounds; r++) xml = i % 2 ? mutate(xml, next) : variation(xml, next);
      if (check(xml, treeLimits) === 'read') read++;
    }
    expect(reader.stats.failed).to.equal(0);
    expect(read).to.be.greaterThan(500);
    // A member of another type, where the flat list of names would have let it pass.
    const misplaced = normalCorpus()
      .filter((xml) => xml.includes('</keyValue>'))
      .map((xml) => xml.replace('</keyValue>', '</keyValue><Email>x@example.com</Email>'));
    expect(misplaced.length).to.be.greaterThan(0);
    for (const xml of misplaced) {
      expect(reader.readGuarded(xml, treeLimits), xml).to.equal(undefined);
      expect(inspectEnvelope(xml, treeLimits).unknownElement, xml).to.equal('Email');
    }
  });

  const header =
    '<SOAP-ENV:Header><ns1:AuthenticationHeader><mktowsUserId>u</mktowsUserId></ns1:AuthenticationHeader></SOAP-ENV:Header>';
  const envelope = (open: string, inner: string, decl = '') =>
    `${decl}<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="${MKTOWS}"${open}>${header}` +
    `<SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  const getLead =
    '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>a@b</keyValue></leadKey></ns1:paramsGetLead>';

  const refused: Record<string, [string, GuardLimits?]> = {
    'a prefix the guard refuses (xmlns:constructor)': [
      envelope(' xmlns:constructor="urn:x"', getLead),
    ],
    'a namespace written with a character reference': [
      envelope(
        '',
        getLead
          .replace(
            '<ns1:paramsGetLead>',
            '<m:paramsGetLead xmlns:m="http://www.marketo.com/mktows&#x2F;">',
          )
          .replace('</ns1:paramsGetLead>', '</m:paramsGetLead>'),
      ),
    ],
    'a name longer than the guard allows': [envelope(` xmlns:${'p'.repeat(300)}="urn:x"`, getLead)],
    'more attributes than the guard allows': [
      envelope(' xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"', getLead),
      { ...limits, maxAttributes: 3 },
    ],
    'deeper than the guard allows': [envelope('', getLead), { ...limits, maxDepth: 4 }],
    'a control character in the XML declaration': [
      envelope('', getLead, '<?xml version="1.0\u0001"?>'),
    ],
    'a member the guard does not know': [
      envelope('', getLead),
      { ...limits, knownElements: new Set(['leadKey', 'keyType']) },
    ],
  };
  for (const [name, [xml, guard]] of Object.entries(refused)) {
    it(`declines what the guard refuses or reads otherwise: ${name}`, () => {
      let summary;
      try {
        summary = inspectEnvelope(xml, guard ?? limits);
      } catch {
        summary = 'refused';
      }
      expect(summary).to.not.deep.equal(summaryOfRead(wsdl.xmlToObject(xml)));
      expect(reader.readGuarded(xml, guard ?? limits)).to.equal(undefined);
    });
  }

  it('keeps its own bound on attributes per element when the guard allows more', () => {
    // 15 more than the Envelope's own 2: 17 on one element, one past the reader's bound.
    const many = Array.from({ length: 15 }, (_, i) => ` xmlns:p${i}="urn:p${i}"`).join('');
    const xml = envelope(many, getLead);
    expect(inspectEnvelope(xml, limits).bodyElement.local).to.equal('paramsGetLead');
    expect(reader.readGuarded(xml, { ...limits, maxAttributes: 1000 })).to.equal(undefined);
    expect(reader.readGuarded(envelope(many.slice(0, -20), getLead), limits)).to.not.equal(
      undefined,
    );
  });

  it('declines a header field in parts (the guard trims it whole, node-soap part by part)', () => {
    const xml = envelope('', getLead).replace(
      '<mktowsUserId>u</mktowsUserId>',
      '<mktowsUserId>u <![CDATA[ v ]]></mktowsUserId>',
    );
    // Unguarded too: text in more than one piece is node-soap's to read.
    expect(reader.read(xml)).to.equal(undefined);
    expect(reader.readGuarded(xml, limits)).to.equal(undefined);
  });

  it('the listener hands the operation the reading it was given, not a second one', async () => {
    let seen: unknown;
    const listener = await createSoapListener<object>({
      path: '/soap/mktows',
      wsdlFile: MKTOWS_WSDL,
      service: 'MktMktowsApiService',
      port: 'MktowsApiSoapPort',
      operations: {
        getLead: async (args) => {
          seen = args;
          return { result: { count: 0 } };
        },
      },
      requestTimeoutMs: 10_000,
      fastRead: FAST_READ,
    });
    const xml = bench.envelope(bench.getLeadByEmail('x@example.com'));
    const read = listener.requestReader!.readGuarded(xml, limits) as {
      Body: { paramsGetLead: unknown };
    };
    const before = { ...listener.requestReader!.stats };
    const request = { headers: {}, url: '/soap/mktows', soapAction: '' };
    expect((await listener.process(xml, request, {}, read).answer).statusCode).to.equal(200);
    expect(seen).to.equal(read.Body.paramsGetLead);
    expect(listener.requestReader!.stats).to.deep.equal(before);
    // Without a reading, node-soap has the reader read it (a new object).
    expect((await listener.process(xml, request, {}).answer).statusCode).to.equal(200);
    expect(seen).to.not.equal(read.Body.paramsGetLead);
    expect(seen).to.deep.equal(read.Body.paramsGetLead);
    expect(listener.requestReader!.stats.read).to.equal(before.read + 1);
  });

  it('hands node-soap its reading once, for that request only', () => {
    const xml = bench.envelope(bench.getLeadByEmail('x@example.com'));
    const read = reader.readGuarded(xml, limits);
    const marker = { handed: true };
    expect(reader.handOver(xml, marker, () => reader.read(xml))).to.equal(marker);
    expect(
      reader.handOver(xml, marker, () => [reader.read(xml), reader.read(xml)])[1],
    ).to.deep.equal(read);
    expect(reader.handOver(xml, marker, () => reader.read(`${xml} `))).to.not.equal(marker);
    expect(reader.read(xml)).to.deep.equal(read);
  });
});
