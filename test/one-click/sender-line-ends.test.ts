import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { LinkKeyError, LinkTokens, unsubscribeLink } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import {
  get,
  KEY_1,
  oneClick,
  sealedBySender,
  linkServicePerSuite,
  type LinkService,
} from './support.js';

const web = ChangePaths.webService();

describe('link tokens of addresses given with surrounding white space', () => {
  const tokens = new LinkTokens({ current: KEY_1, retired: [] }, 90 * 86400);

  it('the library makes a link that opens as the address, from a line with its line end', () => {
    // Before: sealed with its "\n", a link every request for was refused as malformed.
    for (const given of ['ann@example.com\n', 'ann@example.com\r\n', ' ann@example.com\t']) {
      const url = unsubscribeLink(given, { baseUrl: 'https://unsub.example.com', key: KEY_1 });
      const opened = tokens.verify(url.slice(url.lastIndexOf('/') + 1));
      expect(opened.ok && opened.link.email, JSON.stringify(given)).to.equal('ann@example.com');
    }
  });

  it('refuses to make a link no request can open, instead of one that fails when used', () => {
    const long = `${'a'.repeat(64)}@${'b'.repeat(190)}.com`;
    for (const email of [long, 'ann@\nexample.com', 'a@', '']) {
      expect(() => tokens.create(email), JSON.stringify(email.slice(0, 20))).to.throw(
        LinkKeyError,
        /address/,
      );
    }
  });
});

for (const engine of testEngines()) {
  describe(`a link sealed with the line end of the sender's list (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it('is honoured: its page shows the address, its one-click unsubscribes it', async () => {
      // Links already sent: a mailbox provider's one-click was answered 400 (malformed) and
      // the opt-out the person asked for was lost.
      const email = 'line.end@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      for (const given of [`${email}\n`, `${email}\r\n`]) {
        const url = `${svc.base}/u/${sealedBySender(given)}`;
        const page = await get(url, { accept: 'text/html' });
        expect(page.status, JSON.stringify(given)).to.equal(200);
        expect(page.body).to.contain('li•••@e•••.com');
      }
      const done = await oneClick(`${svc.base}/u/${sealedBySender(`${email}\n`)}`);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });
  });
}
