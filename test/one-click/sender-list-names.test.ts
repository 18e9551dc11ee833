import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { validateEmail } from '../../src/domain/email-key.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import {
  historyOf,
  oneClick,
  sealedBySender,
  linkServicePerSuite,
  type LinkService,
} from './support.js';

const web = ChangePaths.webService();

/**
 * A list name a sender's pipeline sealed as its own tool names lists ("Weekly News", with a
 * slash, an accent, longer than 64): the recipe of docs/one-click.md takes any text.
 */
for (const engine of testEngines()) {
  describe(`a link whose list name is not of the documented shape (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it("is honoured: a provider's one-click unsubscribes the address, the list not recorded", async () => {
      // Before: 400 malformed for every one of them, and the opt-out lost.
      const plain = 'list-none@example.com';
      await svc.services.leads.sync({ email: plain }, { path: web });
      await oneClick(`${svc.base}/u/${sealedBySender(plain)}`);
      const [unlisted] = await historyOf(svc.services, plain);
      const names = ['Weekly News', 'news/weekly', 'Actualités', 'n'.repeat(65), 'a\tb\u001b[31m'];
      for (const [i, list] of names.entries()) {
        const email = `list-${i}@example.com`;
        await svc.services.leads.sync({ email }, { path: web });
        const url = `${svc.base}/u/${sealedBySender(email, undefined, list)}`;
        const done = await oneClick(url);
        expect(done.status, list).to.equal(200);
        expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
        const [change] = await historyOf(svc.services, email);
        // Recorded as a link of no list: only a name of the documented shape is stored.
        expect(change!.reason, list).to.equal(unlisted!.reason);
      }
    });

    it('is honoured beside the longest address, the name of 64 characters of 1 to 4 bytes of UTF-8', async () => {
      // Before: a name in another script beside a long address made a token over the length
      // bound, refused as malformed (400) before it was opened, the opt-out lost.
      const base = `${'名'.repeat(240)}@${'例'.repeat(10)}.テ`;
      for (const [i, letter] of ['l', 'é', '名', '𝔑'].entries()) {
        // 254 code units, three bytes of UTF-8 each but for the @ and the dot (758 bytes).
        const email = `${base}${'ストテ例'[i]}`;
        expect(validateEmail(email).length).to.equal(254);
        await svc.services.leads.sync({ email }, { path: web });
        // As a sender's pipeline reads it from its list: with the line end.
        const token = sealedBySender(`${email}\r\n`, Date.now(), letter.repeat(64));
        const done = await oneClick(`${svc.base}/u/${token}`);
        expect(done.status, letter).to.equal(200);
        expect(await flagsOf(svc.services, email), letter).to.deep.equal([true]);
      }
    });

    it('records a list name of the documented shape as before', async () => {
      const email = 'list-ok@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      expect(
        (await oneClick(`${svc.base}/u/${sealedBySender(email, undefined, 'news')}`)).status,
      ).to.equal(200);
      const [change] = await historyOf(svc.services, email);
      expect(change!.reason).to.equal('Unsubscribe link, list news');
    });
  });
}
