import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createSoapEngine, RAW_TEXT_TYPES } from '../../src/soap-transport/soap-engine.js';
import { createRequestReader } from '../../src/soap-transport/fast-request-reader.js';
import { inspectEnvelope, type GuardLimits } from '../../src/soap-transport/envelope-guard.js';
import { elementTree } from '../../src/soap-transport/schema-elements.js';
import type { RequestReader } from '../../src/soap-transport/request-reader.js';
import type { WsdlInternals } from '../../src/soap-transport/request-shapes.js';
import { FAST_READ } from '../../src/mktows/fast-read.js';
import { seeded } from '../support/seeded.js';
import { mutate } from './fast-read-oddities.js';
import {
  MKTOWS,
  referenceRead,
  request,
  servedRead,
  writeEnvelope,
  type Style,
} from './reader-differential.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WSDL_XML = fs.readFileSync(path.resolve(here, '../../wsdl/mktows.wsdl'), 'utf8');

/**
 * The request path (the request reader under the guard's limits, else the envelope guard and
 * node-soap's reading, as mktows.endpoint.ts runs them) against sax's strict, namespace-aware
 * reading of the same envelope: what the path takes must be what XML says, or it refuses.
 */
describe('the request path reads as a namespace-aware XML parser does, or refuses (seeded)', function () {
  this.timeout(60_000);
  let wsdl: WsdlInternals;
  let reader: RequestReader;
  let limits: GuardLimits;

  before(async () => {
    const engine = await createSoapEngine({
      path: '/soap/mktows',
      wsdlXml: WSDL_XML,
      services: {},
    });
    wsdl = engine.wsdl as unknown as WsdlInternals;
    reader = createRequestReader(wsdl, RAW_TEXT_TYPES, FAST_READ)!;
    // As the endpoint sets them (mktows.endpoint.ts).
    limits = {
      maxDepth: 64,
      maxNameLength: 256,
      maxAttributes: 32,
      elementTree: elementTree(WSDL_XML),
      skipEmptyUnknown: true,
      membersInBodyNamespace: true,
    };
  });

  /** What the request path takes of `xml`, or 'refused'. */
  function served(xml: string): string[] | 'refused' {
    const read = reader.readGuarded(xml, limits);
    if (read !== undefined) {
      // What the reader reads, the guard passes (the endpoint then skips the guard's scan).
      expect(() => inspectEnvelope(xml, limits), xml).to.not.throw();
      return servedRead(read);
    }
    try {
      const summary = inspectEnvelope(xml, limits);
      if (summary.bodyElement.ns !== MKTOWS || summary.unknownElement) return 'refused';
    } catch {
      return 'refused';
    }
    return servedRead(wsdl.xmlToObject(xml));
  }

  function run(seed: number, count: number, style: Style, mutations: number) {
    const next = seeded(seed);
    const outcome = { read: 0, refused: 0, notXml: 0 };
    for (let n = 0; n < count; n++) {
      let xml = writeEnvelope(next, request(next), style);
      for (let m = 0; m < mutations; m++) xml = mutate(xml, next);
      const reference = referenceRead(xml);
      const ours = served(xml);
      if (reference === null) {
        outcome.notXml++;
        expect(ours, `not XML, yet read:\n${xml}`).to.equal('refused');
      } else if (ours === 'refused') {
        outcome.refused++;
      } else {
        outcome.read++;
        expect(ours, xml).to.deep.equal(reference);
      }
    }
    return outcome;
  }

  it('reads every envelope toolkits write (prefixes, quotes, spaces, references, CDATA, nil, type) as XML does, refusing none', () => {
    const outcome = run(1, 1500, { hostile: false, split: false }, 0);
    expect(outcome).to.deep.equal({ read: 1500, refused: 0, notXml: 0 });
  });

  it('never reads a value split in pieces (CDATA sections, references) otherwise than XML', () => {
    const outcome = run(2, 1000, { hostile: false, split: true }, 0);
    expect(outcome.read).to.be.greaterThan(100);
  });

  it('never reads shadowed prefixes, foreign namespaces, comments and PIs in values otherwise than XML', () => {
    const outcome = run(3, 1500, { hostile: true, split: false }, 0);
    expect(outcome.read).to.be.greaterThan(100);
    expect(outcome.refused).to.be.greaterThan(100);
  });

  it('never reads a mutated envelope otherwise than XML, nor one that is not XML', () => {
    const outcome = run(4, 1500, { hostile: false, split: false }, 2);
    expect(outcome.read).to.be.greaterThan(50);
    expect(outcome.notXml).to.be.greaterThan(500);
    const hostile = run(5, 1000, { hostile: true, split: true }, 1);
    expect(hostile.notXml).to.be.greaterThan(100);
  });
});
