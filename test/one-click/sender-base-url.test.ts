import { expect } from 'chai';
import { oneClickSettings } from '../../src/config/one-click.settings.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import {
  LinkKeyError,
  listUnsubscribeHeaders,
  unsubscribeLink,
} from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import { KEY_1, oneClick, linkServicePerSuite, type LinkService } from './support.js';

const web = ChangePaths.webService();
const key = KEY_1;

describe("the base URL a sender's links are made on", () => {
  it('is read as the service reads UNSUBSCRIBE_BASE_URL: white space around it removed', () => {
    // Before: "https://unsub.example.com\n/u/1.k1.…", a link broken in the footer, and a
    // List-Unsubscribe line broken in two: no mailbox provider offered its one-click.
    for (const given of [
      'https://unsub.example.com\n',
      'https://unsub.example.com/\r\n',
      ' https://unsub.example.com\t',
    ]) {
      const expected = oneClickSettings.unsubscribeBaseUrl.parse(given);
      const url = unsubscribeLink('ann@example.com', { baseUrl: given, key });
      expect(url.startsWith(`${expected}/u/1.k1.`), JSON.stringify(url)).to.equal(true);
      expect(url).to.not.match(/\s/);
      expect(listUnsubscribeHeaders(url).split('\r\n')).to.have.length(3);
    }
  });

  it('refuses one no link can be made on, instead of a link broken in every message', () => {
    for (const baseUrl of [
      '',
      'unsub.example.com',
      'https://unsub.example.com?list=news',
      'https://unsub.example.com/a b',
      'mailto:unsub@example.com',
    ])
      expect(() => unsubscribeLink('ann@example.com', { baseUrl, key }), baseUrl).to.throw(
        LinkKeyError,
        /baseUrl/,
      );
  });

  it('headers refuse a URL that would break the message: a line break or an angle bracket', () => {
    for (const url of [
      'https://unsub.example.com/u/x\r\nBcc: victim@example.com',
      'https://unsub.example.com/u/x\n',
      'https://unsub.example.com/u/x>, <https://elsewhere.example/',
    ])
      expect(() => listUnsubscribeHeaders(url), JSON.stringify(url)).to.throw(LinkKeyError);
  });
});

for (const engine of testEngines()) {
  describe(`a link made on a base URL given with its line end (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it("is offered by the message's header, and its one-click unsubscribes the address", async () => {
      const email = 'spaced.base@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const headers = listUnsubscribeHeaders(
        unsubscribeLink(email, { baseUrl: `${svc.base}/\n`, key }),
      );
      // The URL as a mailbox provider reads it: the header's lines unfolded, then the first.
      const line = headers.replace(/\r\n[ \t]/g, ' ').split(/\r?\n/)[0]!;
      const url = /^List-Unsubscribe: <([^>]+)>$/.exec(line)?.[1];
      expect(url, line).to.be.a('string');
      const done = await oneClick(url!);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });
  });
}
