import { expect } from 'chai';
import { isAppError } from '../../src/errors.js';
import { inspectEnvelope, type GuardLimits } from '../../src/soap/envelope-guard.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const MKTO = 'http://www.marketo.com/mktows/';

const env = (body: string) =>
  `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11}" xmlns:ns1="${MKTO}">` +
  `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

/** One element carrying n attributes. */
const manyAttributes = (n: number) => {
  const attrs: string[] = [];
  for (let i = 0; i < n; i++) attrs.push(` a${i}="v"`);
  return env(`<ns1:paramsGetLead${attrs.join('')}/>`);
};

/** n text nodes, none holding an `&` (the case that searched to the document's end). */
const manyTextNodes = (n: number) =>
  env(`<ns1:paramsGetLead>${'<leadKey>x</leadKey>'.repeat(n)}</ns1:paramsGetLead>`);

const LIMITS: GuardLimits = {
  maxDepth: 64,
  maxNameLength: 256,
  maxAttributes: Number.MAX_SAFE_INTEGER,
  knownElements: new Set(['leadKey']),
};

/** The fastest of several runs: the least disturbed by other work on a loaded machine. */
function fastest(xml: string, runs: number): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    inspectEnvelope(xml, LIMITS);
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

/** Asserts time grows no faster than 3x the size between each size and the smallest. */
function expectLinear(sizes: number[], build: (n: number) => string): void {
  const docs = sizes.map(build);
  fastest(docs[0]!, 3); // warm up the code paths
  const times = docs.map((d) => fastest(d, 7));
  for (let i = 1; i < sizes.length; i++) {
    const sizeRatio = sizes[i]! / sizes[0]!;
    const timeRatio = times[i]! / times[0]!;
    expect(
      timeRatio,
      `${sizes[i]} vs ${sizes[0]}: time x${timeRatio.toFixed(1)} for size x${sizeRatio} (ns: ${times.join(', ')})`,
    ).to.be.at.most(3 * sizeRatio);
  }
}

describe('envelope guard: linear in the size of the envelope', function () {
  this.timeout(120000);

  it('checks 10k, 20k, 40k and 80k attributes of one element in time proportional to their number', () => {
    expectLinear([10000, 20000, 40000, 80000], manyAttributes);
  });

  it('checks 50k, 100k and 200k text nodes in time proportional to their number', () => {
    expectLinear([50000, 100000, 200000], manyTextNodes);
  });

  it('refuses more attributes on one element than the limit (100 when none is set)', () => {
    const refusal = (xml: string, limits: GuardLimits) => {
      try {
        inspectEnvelope(xml, limits);
        return 'accepted';
      } catch (error) {
        if (!isAppError(error)) throw error;
        return error.message;
      }
    };
    const defaults = { maxDepth: 64, maxNameLength: 256 };
    expect(refusal(manyAttributes(100), defaults)).to.equal('accepted');
    expect(refusal(manyAttributes(101), defaults)).to.equal(
      'More than 100 attributes on one element',
    );
    expect(refusal(manyAttributes(8), { ...defaults, maxAttributes: 7 })).to.equal(
      'More than 7 attributes on one element',
    );
  });
});
