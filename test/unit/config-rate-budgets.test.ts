import { Writable } from 'node:stream';
import { expect } from 'chai';
import { runConfigCommand } from '../../src/cli/config.command.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('the two budgets of /u/: POSTs (UNSUBSCRIBE_RATE_LIMIT) and page reads', () => {
  it('UNSUBSCRIBE_PAGE_RATE_LIMIT: empty is UNSUBSCRIBE_RATE_LIMIT, 0 no limit, anything else refused by name', () => {
    expect(loadConfig({}).unsubscribeRateLimit).to.equal(600);
    expect(loadConfig({}).unsubscribePageRateLimit).to.equal(600);
    // A configuration of one budget for both keeps at least what it admitted.
    expect(loadConfig({ UNSUBSCRIBE_RATE_LIMIT: '50' }).unsubscribePageRateLimit).to.equal(50);
    expect(loadConfig({ UNSUBSCRIBE_RATE_LIMIT: '0' }).unsubscribePageRateLimit).to.equal(0);
    const both = loadConfig({ UNSUBSCRIBE_RATE_LIMIT: '50', UNSUBSCRIBE_PAGE_RATE_LIMIT: '2000' });
    expect([both.unsubscribeRateLimit, both.unsubscribePageRateLimit]).to.deep.equal([50, 2000]);
    expect(loadConfig({ UNSUBSCRIBE_PAGE_RATE_LIMIT: '0' }).unsubscribePageRateLimit).to.equal(0);
    for (const bad of ['-1', 'many', '1.5', '100000001'])
      expect(() => loadConfig({ UNSUBSCRIBE_PAGE_RATE_LIMIT: bad }), bad).to.throw(
        ConfigError,
        /^UNSUBSCRIBE_PAGE_RATE_LIMIT/,
      );
  });

  it('UNSUBSCRIBE_LINK_RATE_LIMIT: 10 by default, 0 no limit, anything else refused in one line naming it', () => {
    expect(loadConfig({}).unsubscribeLinkRateLimit).to.equal(10);
    expect(loadConfig({ UNSUBSCRIBE_LINK_RATE_LIMIT: '0' }).unsubscribeLinkRateLimit).to.equal(0);
    expect(loadConfig({ UNSUBSCRIBE_LINK_RATE_LIMIT: ' 25 ' }).unsubscribeLinkRateLimit).to.equal(
      25,
    );
    for (const bad of ['', '-1', 'ten', '1.5', '100000001']) {
      let message = '';
      try {
        loadConfig({ UNSUBSCRIBE_LINK_RATE_LIMIT: bad });
      } catch (error) {
        expect(error, bad).to.be.instanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, bad).to.match(/^UNSUBSCRIBE_LINK_RATE_LIMIT must be [^\n]+$/);
    }
  });

  it('"config" shows the page budget a start uses', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    expect(runConfigCommand([], { UNSUBSCRIBE_RATE_LIMIT: '75' }, sink)).to.equal(0);
    expect(out).to.match(/^UNSUBSCRIBE_PAGE_RATE_LIMIT\s+"75"\s+\(default\)$/m);
  });
});
