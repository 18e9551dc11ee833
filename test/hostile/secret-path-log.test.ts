import { expect } from 'chai';
import { startLoggedService, type LoggedService } from '../support/logged-service.js';

const PATH_SECRET = 'listener-path-secret-4f9c2a';

/**
 * The Salesforce listener's path secret never reaches the log, at any level an operator may
 * set: a request on its path that Express itself refuses (a broken percent-escape after the
 * secret) is logged at debug with Express's error, whose message and stack quote the segment.
 */
describe('the Salesforce path secret in the log (refused paths, LOG_LEVEL=trace)', function () {
  this.timeout(30000);
  let service: LoggedService;

  before(async () => {
    service = await startLoggedService('trace', {
      SFDC_ORG_IDS: '00D000000000001',
      SFDC_PATH_SECRET: PATH_SECRET,
    });
  });
  after(() => service?.running.close());

  it('logs the refusal of a broken escape after the secret without the secret', async () => {
    const base = `http://127.0.0.1:${service.running.port}`;
    for (const path of [
      `/soap/salesforce/outbound/${PATH_SECRET}%ZZ`,
      `/soap/salesforce/outbound/${PATH_SECRET}%E0%A4%A`,
      `/soap/salesforce/outbound/${PATH_SECRET};%ZZ`,
    ]) {
      const before = service.lines().length;
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: '<x/>',
      });
      expect(res.status, path).to.equal(400);
      expect(await res.text(), path).not.to.contain(PATH_SECRET);
      const logged = service.lines().slice(before);
      // The refusal is still logged, with what Express said.
      expect(logged.join('\n'), path).to.match(/"request refused"/);
      expect(logged.join('\n'), path).to.contain('Failed to decode param');
      for (const line of logged) expect(line, path).not.to.contain(PATH_SECRET.slice(0, 16));
    }
  });
});
