/**
 * A fraction of a second is cut to whole milliseconds, never rounded up. Read as one number,
 * the seventeen nines of `10:00:00.99999999999999999` were 1.0: a lower bound given so
 * started a second late (what happened in its last millisecond was passed over), an upper
 * bound ended a millisecond late, `.0009999999999999999999` was a millisecond, and the last
 * instant of the year 9999 written with many nines was refused as past it.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawCall, testServicePerSuite, type TestService } from '../support/service.js';

const changesFrom = (oldestCreatedAt: string) =>
  '<ns1:paramsGetLeadChanges><startPosition>' +
  `<oldestCreatedAt>${oldestCreatedAt}</oldestCreatedAt>` +
  '</startPosition><batchSize>10</batchSize></ns1:paramsGetLeadChanges>';

/** The lower bound a getLeadChanges answer gives back, as the next call's start. */
const boundGivenBack = (body: string) =>
  /<newStartPosition>.*?<oldestCreatedAt>([^<]*)</s.exec(body)?.[1];

for (const engine of testEngines()) {
  describe(`long fractions of a second (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    testServicePerSuite(engine, (s) => (service = s));

    const givenBack = async (oldestCreatedAt: string) => {
      const r = await rawCall(service.url, changesFrom(oldestCreatedAt));
      expect(r.status, r.body).to.equal(200);
      return boundGivenBack(r.body);
    };

    it('reads a second written with many nines as its last millisecond, not the next second', async () => {
      expect(await givenBack('2026-01-01T10:00:00.99999999999999999Z')).to.equal(
        '2026-01-01T10:00:00.999+00:00',
      );
      expect(await givenBack('2026-01-01T10:00:00.999Z')).to.equal('2026-01-01T10:00:00.999+00:00');
    });

    it('reads a fraction under a millisecond as none', async () => {
      expect(await givenBack('2026-01-01T10:00:00.0009999999999999999999Z')).to.equal(
        '2026-01-01T10:00:00+00:00',
      );
    });

    it('takes the last instant of the year 9999, however many nines it is written with', async () => {
      for (const at of ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.99999999999999999Z']) {
        const r = await rawCall(
          service.url,
          `<ns1:paramsGetMultipleLeads><lastUpdatedAt>${at}</lastUpdatedAt><batchSize>1</batchSize></ns1:paramsGetMultipleLeads>`,
        );
        expect(r.status, `${at}: ${r.body}`).to.equal(200);
      }
    });
  });
}
