import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createSoapEngine, type SoapEngine } from '../../src/soap-transport/soap-engine.js';
import { FAST_READ } from '../../src/mktows/fast-read.js';
import { toNodeSoapFault } from '../../src/mktows/faults.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { mapperCorpus } from './answer-corpus.js';
import { normalCorpus } from './fast-read-corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const wsdlXml = fs.readFileSync(path.resolve(here, '../../wsdl/mktows.wsdl'), 'utf8');
const PATH = '/soap/mktows/1_7';

/** What an operation does with its call, every way node-soap lets it answer or fail. */
type Behaviour = (
  answer: Record<string, unknown>,
  callback: (e: unknown, r?: unknown) => void,
) => unknown;

const BEHAVIOURS: Record<string, Behaviour> = {
  'resolves an answer': async (answer) => answer,
  'answers through the callback': (answer, callback) => void callback(null, answer),
  'rejects with a contract fault': async () => {
    throw toNodeSoapFault(new AppError(ErrorCode.LEAD_NOT_FOUND, 'No lead <found> & "none"'));
  },
  'rejects with an internal fault': async () => {
    throw toNodeSoapFault(new Error('secret detail'));
  },
  'rejects with a plain error': async () => {
    throw new Error('plain <failure> & more');
  },
  'throws a fault before returning': () => {
    throw toNodeSoapFault(new AppError(ErrorCode.BAD_PARAMETER, 'thrown at once'));
  },
  'throws a plain error before returning': () => {
    throw new TypeError('thrown & plain');
  },
};

const OUTPUT_OF: Record<string, string> = {
  getLead: 'successGetLead',
  syncLead: 'successSyncLead',
  syncMultipleLeads: 'successSyncMultipleLeads',
};

/**
 * The operation called directly for a request the fast reader read (src/soap-transport/
 * direct-dispatch.ts) answers exactly what node-soap's processRequest answers for the same XML:
 * same status, same bytes, for answers and for faults of every kind.
 */
describe('direct dispatch of a read request: byte for byte what node-soap answers', function () {
  this.timeout(60_000);
  let engine: SoapEngine;
  let behaviour: Behaviour = BEHAVIOURS['resolves an answer']!;
  let answer: Record<string, unknown> = {};
  const seen: unknown[] = [];

  before(async () => {
    const port: Record<string, unknown> = {};
    for (const name of Object.keys(OUTPUT_OF)) {
      port[name] = (
        args: unknown,
        callback: (e: unknown, r?: unknown) => void,
        headers: unknown,
      ) => {
        seen.push({ name, args, headers });
        return behaviour(structuredClone(answer), callback);
      };
    }
    engine = await createSoapEngine({
      path: '/soap/mktows',
      wsdlXml,
      services: { MktMktowsApiService: { MktowsApiSoapPort: port } },
      fastRead: FAST_READ,
    });
  });

  const binding = () =>
    engine.wsdl.definitions.services.MktMktowsApiService!.ports.MktowsApiSoapPort!.binding;

  /** Both ways for one request: [direct, node-soap], and what the operation was given each time. */
  async function both(xml: string, soapAction: string) {
    const read = engine.requestReader!.read(xml);
    expect(read, 'the reader reads it').to.not.equal(undefined);
    const req = () => ({
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${soapAction}"` },
      url: PATH,
      method: 'POST',
    });
    seen.length = 0;
    const pending = engine.direct!(read, req(), soapAction);
    expect(pending, 'the direct call takes it').to.not.equal(undefined);
    const direct = await pending!;
    const directSeen = structuredClone(seen);
    seen.length = 0;
    // The response headers node-soap sets are not sent (the endpoint writes its own).
    const { statusCode, body } = await engine.processRequest(xml, req());
    const viaNodeSoap = { statusCode, body };
    expect(structuredClone(seen), 'the operation is given the same').to.deep.equal(directSeen);
    return [direct, viaNodeSoap] as const;
  }

  const answersOf = (operation: string) => {
    // (Not the megabyte-long ones: the writer's own test has them; here they only cost time.)
    const all = mapperCorpus().filter(
      ([name, a]) => name === OUTPUT_OF[operation] && JSON.stringify(a).length < 100_000,
    );
    // The first, a middle and the last: odd text, empty lists, many results.
    return [all[0]!, all[Math.floor(all.length / 2)]!, all[all.length - 1]!];
  };

  it('is made for the mktows engine', () => {
    expect(engine.direct).to.be.a('function');
  });

  it('answers every normal request alike, for every way the operation answers or fails', async () => {
    let compared = 0;
    for (const xml of normalCorpus()) {
      const element = Object.keys(
        (engine.requestReader!.read(xml) as { Body: Record<string, unknown> }).Body,
      )[0]!;
      const { methodName } = binding().topElements[element]!;
      const soapAction = binding().methods[methodName]!.soapAction!;
      for (const [name, run] of Object.entries(BEHAVIOURS)) {
        behaviour = run;
        for (const [, a] of name === 'resolves an answer' ? answersOf(methodName) : [['', {}]]) {
          answer = a as Record<string, unknown>;
          // SOAPAction as the endpoint gives it, and empty (the Body names the operation).
          for (const action of [soapAction, '']) {
            const [direct, viaNodeSoap] = await both(xml, action);
            expect(
              direct,
              `${name}, ${action || 'no SOAPAction'}: ${xml.slice(0, 300)}`,
            ).to.deep.equal(viaNodeSoap);
            compared++;
          }
        }
      }
    }
    expect(compared).to.be.above(100);
  });

  it('answers a fault with the status node-soap gives it', async () => {
    behaviour = BEHAVIOURS['rejects with a contract fault']!;
    const xml = normalCorpus()[0]!;
    const [direct] = await both(xml, binding().methods.getLead!.soapAction!);
    expect(direct.statusCode).to.equal(500);
    expect(direct.body).to.include('<faultcode>').and.include('No lead &lt;found&gt;');
    behaviour = BEHAVIOURS['rejects with a plain error']!;
    const [plain, nodeSoap] = await both(xml, binding().methods.getLead!.soapAction!);
    expect(plain).to.deep.equal(nodeSoap);
    expect(plain.statusCode).to.equal(500);
  });

  it('declines what it does not reproduce: a WS-Security header, a server that logs or listens', async () => {
    behaviour = BEHAVIOURS['resolves an answer']!;
    const read = engine.requestReader!.read(normalCorpus()[0]!) as Record<string, unknown>;
    const req = { headers: {}, url: PATH, method: 'POST' };
    const action = binding().methods.getLead!.soapAction!;
    const secured = { ...read, Header: { Security: { Timestamp: 'x' } } };
    expect(engine.direct!(secured, req, action)).to.equal(undefined);
    expect(engine.direct!(read, { ...req, url: '//host/path' }, action)).to.equal(undefined);
    const server = engine as unknown as {
      log?: unknown;
      on(e: string, f: () => void): void;
      off(e: string, f: () => void): void;
    };
    server.log = () => {};
    expect(engine.direct!(read, req, action)).to.equal(undefined);
    delete server.log;
    const listener = () => {};
    server.on('response', listener);
    expect(engine.direct!(read, req, action)).to.equal(undefined);
    server.off('response', listener);
    expect(engine.direct!(read, req, action)).to.not.equal(undefined);
  });
});
