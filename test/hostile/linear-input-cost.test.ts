import { expect } from 'chai';
import { emailKey } from '../../src/domain/email-key.js';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * What a value costs to read grows with its length, not with its square. Each case is read at
 * two lengths, ten times apart: read linearly, the longer costs at most about ten times the
 * shorter (less, as a call's fixed costs weigh more in the shorter); a quadratic read costs a
 * hundred times.
 */
const GROWTH = 10;
const LINEAR_BOUND = 2 * GROWTH;

/** A syncLead setting AnnualRevenue (a float field) to `value`. */
const revenue = (value: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>linear@example.com</Email><leadAttributeList>` +
  `<attribute><attrName>AnnualRevenue</attrName><attrValue>${value}</attrValue></attribute>` +
  `</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

/** CPU (user and system, µs) this process, which runs the service, spends on one call. */
async function cpuOf(service: TestService, body: string, code: number): Promise<number> {
  const before = process.cpuUsage();
  const r = await rawCall(service.url, body);
  const used = process.cpuUsage(before);
  expect(faultCode(r.body), r.body.slice(0, 500)).to.equal(code);
  return used.user + used.system;
}

/** The least CPU of a few calls of each body, taken in turns. */
async function leastCpu(service: TestService, bodies: string[], code: number): Promise<number[]> {
  const least = bodies.map(() => Infinity);
  for (let round = 0; round < 4; round++)
    for (const [i, body] of bodies.entries()) {
      const used = await cpuOf(service, body, code);
      if (round > 0) least[i] = Math.min(least[i]!, used);
    }
  return least;
}

// Nothing is stored by these calls (each is refused): one engine is enough.
describe('a float attribute of many digits', function () {
  this.timeout(120000);
  let service: TestService;
  before(async () => {
    service = await startTestService(testEngines()[0]!);
  });
  after(() => service?.stop());

  it('is refused at a cost that grows with its length, not its square', async () => {
    // Digits then a letter: the number's pattern read every split of the digits between its
    // integer part and its fraction before refusing (3 s of CPU for 50,000 digits).
    const short = revenue(`${'1'.repeat(5000)}x`);
    const long = revenue(`${'1'.repeat(5000 * GROWTH)}x`);
    const [shortCost, longCost] = await leastCpu(service, [short, long], 20105);
    expect(longCost! / shortCost!, `${shortCost} µs, then ${longCost} µs`).to.be.below(
      LINEAR_BOUND,
    );
  });
});

/** The least time (ns) of a few rounds of `count` calls of `fn`. */
function leastTime(fn: () => unknown, count: number): number {
  let least = Infinity;
  for (let round = 0; round < 6; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) fn();
    const elapsed = Number(process.hrtime.bigint() - started);
    if (round > 0) least = Math.min(least, elapsed);
  }
  return least;
}

describe('the key of an address whose domain is a run of dots', () => {
  it('costs what its length does, not its square', () => {
    // Within the length keys are folded at (a Salesforce record's Email reaches the key
    // unvalidated): its trailing dots were dropped by a pattern that read the run of dots
    // again from each of its dots.
    const dots = (n: number) => `a@${'.'.repeat(n)}x.`;
    const short = leastTime(() => emailKey(dots(200)), 50);
    const long = leastTime(() => emailKey(dots(200 * GROWTH)), 50);
    expect(emailKey(dots(3))).to.equal('a@...x');
    expect(long / short, `${short} ns, then ${long} ns`).to.be.below(LINEAR_BOUND);
  });
});

describe('the key of an address whose domain is mapped as IDNA maps it', () => {
  it('costs what its length does, not its square', () => {
    // Compatibility forms, and characters the mapping keeps ('․' holds a dot under NFKC) that
    // make it map the domain piece by piece.
    const mapped = (n: number) => `a@${'\u{1d41e}\u2024\u24ba\ufe0f'.repeat(n)}x`;
    const short = leastTime(() => emailKey(mapped(40)), 50);
    const long = leastTime(() => emailKey(mapped(40 * GROWTH)), 50);
    expect(emailKey(mapped(1))).to.equal('a@e\u2024ex');
    expect(long / short, `${short} ns, then ${long} ns`).to.be.below(LINEAR_BOUND);
  });
});
