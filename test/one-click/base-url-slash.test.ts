import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import { get, oneClick, linkServicePerSuite, type LinkService } from './support.js';

const web = ChangePaths.webService();

/**
 * A link a sender's template joined to a base URL that ends with its own slash
 * (`https://unsubscribe.example.com/` + `/u/` + token): the path starts with two slashes.
 */
for (const engine of testEngines()) {
  describe(`a link joined to a base URL's trailing slash (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it("opens its page, and a provider's one-click unsubscribes the address", async () => {
      // Before: 404 Not found for both, and the opt-out lost.
      const email = 'slash@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const token = svc.tokens.create(email);
      for (const slashes of ['//', '///']) {
        const page = await get(`${svc.base}${slashes}u/${token}`, { accept: 'text/html' });
        expect(page.status, slashes).to.equal(200);
        expect(page.headers.get('x-robots-tag')).to.equal('noindex, nofollow');
      }
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      const done = await oneClick(`${svc.base}//u/${token}`);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });

    it('reads a link with slashes doubled after /u (a base ending in /u/ joined with /token)', async () => {
      // Before: 404 Not found for the page and the one-click alike, and the opt-out lost.
      const email = 'slash-after@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const token = svc.tokens.create(email);
      for (const path of [`/u//${token}`, `/u///${token}`, `//u//${token}`]) {
        const page = await get(`${svc.base}${path}`, { accept: 'text/html' });
        expect(page.status, path).to.equal(200);
        expect(page.body, path).to.contain('<form');
      }
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      const done = await oneClick(`${svc.base}/u//${token}`);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
      // Only the link's own path: a token needs one segment, and nothing else is read so.
      expect((await get(`${svc.base}/u//`)).status).to.equal(404);
      expect((await get(`${svc.base}/u//${token}/x`)).status).to.equal(404);
    });

    it('no other path is read so: //admin and //soap are not found', async () => {
      for (const path of ['//admin/login', '//soap/mktows/2_9', '//u']) {
        expect((await get(`${svc.base}${path}`)).status, path).to.equal(404);
      }
    });
  });
}
