import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { get, historyOf, oneClick, postForm, startLinkService } from './support.js';

/**
 * Link scanners prefetch every link of a message (GET, HEAD), often from the mailbox
 * provider's own shared addresses, the very ones its RFC 8058 one-click POSTs come from. The
 * POSTs have their own budget per client address (UNSUBSCRIBE_RATE_LIMIT), the page's reads
 * theirs (UNSUBSCRIBE_PAGE_RATE_LIMIT): no amount of reads refuses a POST. Past the POSTs'
 * budget, an authentic link's unsubscribe is still carried out.
 */
for (const engine of testEngines()) {
  describe(`one-click limits (${engine.name})`, function () {
    this.timeout(60000);

    it('page reads past their budget get 429; a one-click POST from that address is still stored', async () => {
      // UNSUBSCRIBE_PAGE_RATE_LIMIT unset: the page's budget is as large as the POSTs'.
      const svc = await startLinkService(engine, { unsubscribeRateLimit: 3 });
      try {
        const url = svc.linkUrl('kim@example.com');
        for (let i = 0; i < 3; i++) expect((await get(url)).status).to.equal(200);
        const refused = await get(url);
        expect(refused.status).to.equal(429);
        expect(refused.headers.get('retry-after')).to.equal('60');
        expect((await fetch(url, { method: 'HEAD' })).status).to.equal(429);
        const posted = await oneClick(url);
        expect(posted.status).to.equal(200);
        expect(posted.body).to.equal('Unsubscribed.\n');
        expect(await historyOf(svc.services, 'kim@example.com')).to.have.length(1);
        // The page's own button is a POST too: the POSTs' budget, not the spent reads'.
        const button = await postForm(svc.linkUrl('lee@example.com'), {
          'List-Unsubscribe': 'One-Click',
          via: 'page',
        });
        expect(button.status).to.equal(200);
        expect(await historyOf(svc.services, 'lee@example.com')).to.have.length(1);
      } finally {
        await svc.stop();
      }
    });

    it('POSTs past their budget get 429 with Retry-After unless authentic unsubscribes, and spend no reads', async () => {
      const svc = await startLinkService(engine, {
        unsubscribeRateLimit: 2,
        unsubscribePageRateLimit: 5,
      });
      try {
        for (const email of ['a@example.com', 'b@example.com'])
          expect((await oneClick(svc.linkUrl(email))).status).to.equal(200);
        // Spent: a forged link is refused for the budget, unread; an authentic unsubscribe is
        // carried out (shared-sender-address.test.ts has the rest).
        const forged = svc.linkUrl('c@example.com').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
        const limited = await oneClick(forged);
        expect(limited.status).to.equal(429);
        expect(limited.headers.get('retry-after')).to.equal('60');
        expect(limited.body).to.equal('Too many requests; try again later.\n');
        const button = await postForm(svc.linkUrl('c@example.com'), {
          'List-Unsubscribe': 'One-Click',
          via: 'page',
        });
        expect(button.status).to.equal(200);
        expect(await historyOf(svc.services, 'c@example.com')).to.have.length(1);
        // The reads keep their own five.
        const page = svc.linkUrl('d@example.com');
        for (let i = 0; i < 5; i++) expect((await get(page)).status).to.equal(200);
        expect((await get(page)).status).to.equal(429);
      } finally {
        await svc.stop();
      }
    });

    it('UNSUBSCRIBE_MAX_FORM_FIELDS: a POST of more fields than set is refused (400), nothing stored; the default takes it', async () => {
      // The one-click pair and three fields more: four in all.
      const body = 'List-Unsubscribe=One-Click&a=1&b=2&c=3';
      const tight = await startLinkService(engine, { unsubscribeMaxFormFields: 3 });
      try {
        const refused = await oneClick(tight.linkUrl('fields@example.com'), body);
        expect(refused.status).to.equal(400);
        expect(await historyOf(tight.services, 'fields@example.com')).to.have.length(0);
        // As many as set is taken.
        const taken = await oneClick(
          tight.linkUrl('three@example.com'),
          'List-Unsubscribe=One-Click&a=1&b=2',
        );
        expect(taken.status).to.equal(200);
      } finally {
        await tight.stop();
      }
      const usual = await startLinkService(engine);
      try {
        expect((await oneClick(usual.linkUrl('fields@example.com'), body)).status).to.equal(200);
        expect(await historyOf(usual.services, 'fields@example.com')).to.have.length(1);
      } finally {
        await usual.stop();
      }
    });

    it('answers 503 with Retry-After, in plain words, when the database is down', async () => {
      const svc = await startLinkService(engine);
      try {
        await svc.running.database.close();
        const a = await oneClick(svc.linkUrl('down@example.com'));
        expect(a.status).to.equal(503);
        expect(a.headers.get('retry-after')).to.equal('60');
        expect(a.body).to.equal('Unsubscribe not recorded; try again later.\n');
        const page = await get(svc.linkUrl('down@example.com'), { 'accept-language': 'fr' });
        expect(page.status).to.equal(503);
        expect(page.body).to.contain('Rien n’a été modifié');
      } finally {
        await svc.stop();
      }
    });
  });
}
