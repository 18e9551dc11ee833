import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import {
  addressPeople,
  get,
  historyOf,
  linkServicePerSuite,
  oneClick,
  type LinkService,
} from './support.js';

/**
 * The footer's link as mail clients hand it on: a plain-text message's "visit <url>." makes
 * some of them link the sentence's full stop (or a closing bracket, a quote) with the URL.
 */
for (const engine of testEngines()) {
  describe(`one-click links with a mail client's trailing punctuation (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    linkServicePerSuite(engine, (made) => (svc = made));

    it('a GET or HEAD of the link with a trailing full stop, comma, bracket or quote is sent on to the link', async () => {
      // Before: 400 and the "Invalid link" page, for a link that was good.
      const email = 'footer@example.com';
      await addressPeople(svc, email);
      const url = svc.linkUrl(email);
      const token = url.slice(url.lastIndexOf('/') + 1);
      for (const junk of ['.', ',', ')', ').', '%22', '%3E', "'", '!']) {
        const a = await get(`${url}${junk}`);
        expect(a.status, junk).to.equal(301);
        expect(a.headers.get('location'), junk).to.equal(`./${token}`);
        expect(a.headers.get('cache-control')).to.equal('no-store');
        expect(a.headers.get('x-robots-tag')).to.equal('noindex, nofollow');
        const head = await fetch(`${url}${junk}`, { method: 'HEAD', redirect: 'manual' });
        expect(head.status, `HEAD ${junk}`).to.equal(301);
        // Followed as a browser does, it reaches the page, which still changes nothing.
        const page = await fetch(`${url}${junk}?lang=fr`, { headers: { accept: 'text/html' } });
        expect(page.status).to.equal(200);
        expect(page.url).to.equal(`${url}?lang=fr`);
        expect(await page.text()).to.contain('Me désinscrire');
      }
      expect(await flagsOf(svc.services, email)).to.deep.equal([false, false]);
      expect(await historyOf(svc.services, email)).to.have.length(0);
    });

    it("a GET or HEAD of the link with a link tracker's parameters appended without a '?' is sent on to the link", async () => {
      // Before: 400 and the "Invalid link" page: a tracker appended `&utm_…` to a URL it took
      // for one with a query already.
      const email = 'tracked@example.com';
      await addressPeople(svc, email);
      const url = svc.linkUrl(email);
      const token = url.slice(url.lastIndexOf('/') + 1);
      for (const junk of [
        '&utm_source=newsletter&utm_medium=email',
        '&',
        `&c=${'x'.repeat(900)}`,
      ]) {
        const a = await get(`${url}${junk}?lang=fr`);
        expect(a.status, junk).to.equal(301);
        expect(a.headers.get('location'), junk).to.equal(`./${token}?lang=fr`);
        const head = await fetch(`${url}${junk}`, { method: 'HEAD', redirect: 'manual' });
        expect(head.status, `HEAD ${junk}`).to.equal(301);
      }
      // A POST so spelt is refused, never redirected; a forged token is not sent on.
      const posted = await oneClick(`${url}&utm_source=x`);
      expect(posted.status).to.equal(400);
      expect(posted.headers.get('location')).to.equal(null);
      const forged = url.replace(/.{4}$/, 'AAAA');
      const refused = await get(`${forged}&utm_source=x`);
      expect(refused.status).to.be.oneOf([400, 403]);
      expect(refused.headers.get('location')).to.equal(null);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false, false]);
      expect(await historyOf(svc.services, email)).to.have.length(0);
    });

    it('a POST with the punctuation is refused, never redirected; a token that is no link is not sent on', async () => {
      const email = 'footer-post@example.com';
      await addressPeople(svc, email);
      const url = svc.linkUrl(email);
      const a = await oneClick(`${url}.`);
      expect(a.status).to.equal(400);
      expect(a.headers.get('location')).to.equal(null);
      const forged = url.replace(/.{4}$/, 'AAAA');
      for (const bad of [`${forged}.`, `${url}A.`, `${url}......`, `${svc.base}/u/1.k1..`]) {
        const page = await get(bad);
        expect(page.status, bad).to.be.oneOf([400, 403]);
        expect(page.headers.get('location'), bad).to.equal(null);
      }
      expect(await flagsOf(svc.services, email)).to.deep.equal([false, false]);
      expect(await historyOf(svc.services, email)).to.have.length(0);
    });
  });
}
