import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isAppError } from '../../src/errors.js';
import { inspectEnvelope, type GuardLimits } from '../../src/soap-transport/envelope-guard.js';
import { createSoapEngine, RAW_TEXT_TYPES } from '../../src/soap-transport/soap-engine.js';
import { createRequestReader } from '../../src/soap-transport/fast-request-reader.js';
import type { WsdlInternals } from '../../src/soap-transport/request-shapes.js';
import { FAST_READ } from '../../src/mktows/fast-read.js';
import { MAX_XSI_PREFIXES } from '../../src/soap-transport/node-soap-inputs.js';
import { parseForm } from '../../src/one-click/form-body.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const MKTO = 'http://www.marketo.com/mktows/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

const env = (body: string, declarations = '') =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11}" xmlns:ns1="${MKTO}"${declarations}>` +
  `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const getLead = (key: string, attrs = '') =>
  `<ns1:paramsGetLead><leadKey${attrs}><keyType>EMAIL</keyType><keyValue>${key}</keyValue></leadKey></ns1:paramsGetLead>`;

const LIMITS: GuardLimits = { maxDepth: 64, maxNameLength: 256 };

function refusal(xml: string, limits: GuardLimits = LIMITS): string | null {
  try {
    inspectEnvelope(xml, limits);
    return null;
  } catch (error) {
    if (!isAppError(error)) throw error;
    expect(error.code).to.equal('REQUEST_NOT_UNDERSTOOD');
    return error.message;
  }
}

/** Fastest of 5 CPU times (µs) of `run`. */
function cpuOf(run: () => void): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.cpuUsage();
    run();
    const t = process.cpuUsage(t0);
    best = Math.min(best, t.user + t.system);
  }
  return best;
}

/** Time at 4n within 3 × 4 of time at n (a square would be 16). */
function expectLinear(run: (n: number) => () => void, n: number): void {
  run(n)();
  const small = cpuOf(run(n));
  const large = cpuOf(run(4 * n));
  expect(large / Math.max(small, 1), `µs at n: ${small}, at 4n: ${large}`).to.be.at.most(12);
}

describe("what node-soap does with a request beyond its element names: the guard's bounds", function () {
  this.timeout(60000);

  it('refuses an id or href naming a property of Object.prototype, however written', () => {
    for (const attrs of [
      ' id="__proto__"',
      ' id="&#95;_proto__"',
      ' id="constructor"',
      ' href="#__proto__"',
      ' href="x__proto__"',
      ' href="#&#x5f;_proto__"',
    ])
      expect(refusal(env(getLead('a@b.c', attrs))), attrs).to.match(/is not accepted/);
    // Ordinary multiRef ids and hrefs still pass where multiRef is allowed.
    expect(refusal(env(getLead('a@b.c', ' id="ref1" href="#ref2"')))).to.equal(null);
  });

  it('refuses any id or href where multiRef is off (the Salesforce listener)', () => {
    const limits = { ...LIMITS, multiRef: false };
    expect(refusal(env(getLead('a@b.c', ' id="ref1"')), limits)).to.match(/multiRef/);
    expect(refusal(env(getLead('a@b.c', ' href="#ref1"')), limits)).to.match(/multiRef/);
    expect(refusal(env(getLead('a@b.c', ' ID="ref1"')), limits)).to.equal(null);
  });

  it('refuses a CDATA section holding an XML declaration (node-soap parses it as a document of its own)', () => {
    const nested = '<![CDATA[<?xml version="1.0"?><x id="__proto__">y</x>]]>';
    expect(refusal(env(getLead(nested)))).to.match(/CDATA section holding an XML declaration/);
    expect(refusal(env(getLead('<![CDATA[<?xml<?xml<?xml]]>')))).to.match(/CDATA/);
    // Other CDATA, and an escaped declaration in text, still pass.
    expect(refusal(env(getLead('<![CDATA[a <b> & c ?>]]>')))).to.equal(null);
    expect(refusal(env(getLead('&lt;?xml version="1.0"?&gt;')))).to.equal(null);
  });

  it(`refuses more than ${MAX_XSI_PREFIXES} prefixes bound to the XML Schema instance namespace`, () => {
    const declare = (n: number) =>
      Array.from({ length: n }, (_, i) => ` xmlns:x${i}="${XSI}"`).join('');
    expect(refusal(env(getLead('a@b.c'), declare(MAX_XSI_PREFIXES)))).to.equal(null);
    expect(refusal(env(getLead('a@b.c'), declare(MAX_XSI_PREFIXES + 1)))).to.match(
      /prefixes bound to the XML Schema instance namespace/,
    );
    // The same prefix declared again on every element counts once.
    const again = `<ns1:paramsGetLead xmlns:xsi="${XSI}"><leadKey xmlns:xsi="${XSI}"><keyType>EMAIL</keyType></leadKey></ns1:paramsGetLead>`;
    expect(refusal(env(again, ` xmlns:xsi="${XSI}"`))).to.equal(null);
  });

  it('reads (or declines) a CDATA full of "<?xml" before authentication in time linear in it', async () => {
    const wsdlXml = fs.readFileSync(path.resolve(here, '../../wsdl/mktows.wsdl'), 'utf8');
    const engine = await createSoapEngine({ path: '/soap/mktows', wsdlXml, services: {} });
    const reader = createRequestReader(
      engine.wsdl as unknown as WsdlInternals,
      RAW_TEXT_TYPES,
      FAST_READ,
    )!;
    // What the endpoint reads of a body of at most 64 KiB before its header is checked.
    const body = (n: number) => env(getLead(`<![CDATA[${'<?xml'.repeat(n / 5)}]]>`));
    expectLinear((n) => {
      const xml = body(n);
      return () => void reader.readGuarded(xml, LIMITS);
    }, 12000);
  });

  it("trims a one-click body's trailing line ends in time linear in the body", () => {
    expect(
      parseForm(undefined, Buffer.from('List-Unsubscribe=One-Click\r\n')).get('List-Unsubscribe'),
    ).to.equal('One-Click');
    expectLinear((n) => {
      const body = Buffer.from(`${'\n'.repeat(n)}x=y`);
      return () => void parseForm('application/x-www-form-urlencoded', body);
    }, 16000);
  });
});
