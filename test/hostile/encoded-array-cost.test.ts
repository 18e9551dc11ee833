import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * SOAP-ENC arrays are looked for before the envelope guard reads the body (its depth limit
 * included): each element typed as an array that is not written out (its members not named
 * `item`, or marked otherwise) had its whole subtree walked for its children, and then each
 * element inside it again, so that arrays nested within one another cost the square of their
 * number. A signed 900 KB body of them took seconds of CPU; the walk is now linear.
 */
const ENC = 'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"';
const sync = (content: string) =>
  `<ns1:paramsSyncLead ${ENC}><leadRecord><Email>nest@example.com</Email>${content}` +
  '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>';
const ARRAY = '<x xsi:type="SOAP-ENC:Array">';
/** `count` arrays, each within the one before. */
const nested = (count: number) => sync(ARRAY.repeat(count) + '</x>'.repeat(count));
/** `count` arrays side by side (each holding a value, so not passed over as empty): as long. */
const beside = (count: number) => sync(`${ARRAY}v</x>`.repeat(count));

/** CPU (user and system, µs) this process, which runs the service, spends on one call. */
async function cpuOf(service: TestService, body: string): Promise<number> {
  const before = process.cpuUsage();
  const r = await rawCall(service.url, body);
  const used = process.cpuUsage(before);
  // Refused by the guard: too deep, or x is no element of the schema.
  expect(faultCode(r.body), r.body.slice(0, 500)).to.equal(20012);
  return used.user + used.system;
}

// Nothing is stored by any of these calls: one engine is enough.
describe('SOAP-ENC arrays nested within one another', function () {
  this.timeout(120000);
  let service: TestService;
  before(async () => {
    service = await startTestService(testEngines()[0]!);
  });
  after(() => service?.stop());

  it('cost about what as many arrays side by side cost, not the square of their number', async () => {
    const within = nested(20000);
    const side = beside(20000);
    expect(within.length).to.be.below(1024 * 1024);
    expect(side.length).to.be.within(within.length, within.length * 1.1);
    await cpuOf(service, within);
    await cpuOf(service, side);
    let nestedCost = 0;
    let besideCost = 0;
    for (let round = 0; round < 2; round++) {
      nestedCost += await cpuOf(service, within);
      besideCost += await cpuOf(service, side);
    }
    expect(nestedCost / besideCost, `nested ${nestedCost} µs, beside ${besideCost} µs`).to.be.below(
      3,
    );
  });
});
