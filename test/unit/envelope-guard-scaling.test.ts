import { expect } from 'chai';
import { isAppError } from '../../src/errors.js';
import { inspectEnvelope, type GuardLimits } from '../../src/soap-transport/envelope-guard.js';

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

/**
 * CPU time (µs) of scanning xml `reps` times. CPU time, not wall time: on a loaded machine a
 * long run is preempted where a short one may not be.
 */
function cpuOf(xml: string, reps: number): number {
  const t0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) inspectEnvelope(xml, LIMITS);
  const t = process.cpuUsage(t0);
  return t.user + t.system;
}

/**
 * Asserts time grows no faster than 3x the size, each size against the smallest. Each
 * measurement of a smaller size repeats its scan so that every measurement does the same
 * amount of work; every size is warmed up, the sizes are measured in turns (a burst of load
 * touches them all alike), and each keeps its fastest round, the least disturbed one.
 */
function expectLinear(sizes: number[], build: (n: number) => string): void {
  const docs = sizes.map(build);
  const largest = sizes[sizes.length - 1]!;
  const reps = sizes.map((n) => Math.max(1, Math.round(largest / n)));
  docs.forEach((d, i) => cpuOf(d, reps[i]!));
  const best = docs.map(() => Infinity);
  for (let round = 0; round < 7; round++) {
    docs.forEach((d, i) => (best[i] = Math.min(best[i]!, cpuOf(d, reps[i]!) / reps[i]!)));
  }
  for (let i = 1; i < sizes.length; i++) {
    const sizeRatio = sizes[i]! / sizes[0]!;
    const timeRatio = best[i]! / best[0]!;
    expect(
      timeRatio,
      `${sizes[i]} vs ${sizes[0]}: time x${timeRatio.toFixed(1)} for size x${sizeRatio} (µs: ${best.map(Math.round).join(', ')})`,
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
