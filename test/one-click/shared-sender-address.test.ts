import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { MAX_AGE_DAYS, get, historyOf, oneClick, postForm, startLinkService } from './support.js';

/**
 * Mailbox providers post RFC 8058 one-clicks from a few shared addresses, and do not reliably
 * post a refused one again. Every POST counts in its client address's budget
 * (UNSUBSCRIBE_RATE_LIMIT), but past it an unsubscribe with an authentic link is still carried
 * out, bounded by the link's own budget (UNSUBSCRIBE_LINK_RATE_LIMIT); forged or expired links,
 * and the page's undo button, are refused by the address's budget as before.
 */

/** A link's token with one character of its sealed body changed: forged. */
function forged(url: string): string {
  const last = url.at(-2) === 'A' ? 'B' : 'A';
  return `${url.slice(0, -2)}${last}${url.at(-1)}`;
}

/** Runs `task` for each item, `width` at a time, in order of the items. */
async function inTurn<T, R>(items: T[], width: number, task: (item: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return out;
}

for (const engine of testEngines()) {
  describe(`one-click from a provider's shared address (${engine.name})`, function () {
    this.timeout(180000);

    it('1,000 authentic one-clicks past the address budget are all answered 200 and stored', async () => {
      const svc = await startLinkService(engine, { unsubscribeRateLimit: 5 });
      try {
        const emails = Array.from({ length: 1000 }, (_, i) => `bulk${i}@example.com`);
        const answers = await inTurn(emails, 8, (email) => oneClick(svc.linkUrl(email)));
        const statuses = new Set(answers.map((a) => a.status));
        expect([...statuses]).to.deep.equal([200]);
        const stored = await inTurn(emails, 8, (email) => historyOf(svc.services, email));
        expect(stored.filter((h) => h.length === 1)).to.have.length(emails.length);
        // They counted: the address's budget is spent for everything else.
        const fake = await oneClick(forged(svc.linkUrl('fake@example.com')));
        expect(fake.status).to.equal(429);
        expect(fake.headers.get('retry-after')).to.equal('60');
        expect(fake.headers.get('connection')).to.equal('close');
        const old = svc.linkUrl('old@example.com', {
          issuedAt: Math.floor(Date.now() / 1000) - (MAX_AGE_DAYS + 1) * 86400,
        });
        expect((await oneClick(old)).status).to.equal(429);
        expect(await historyOf(svc.services, 'fake@example.com')).to.have.length(0);
        expect(await historyOf(svc.services, 'old@example.com')).to.have.length(0);
      } finally {
        await svc.stop();
      }
    });

    it('forged and expired links are answered 403 and 410 within the budget, 429 past it', async () => {
      const svc = await startLinkService(engine, { unsubscribeRateLimit: 3 });
      try {
        const fake = forged(svc.linkUrl('fay@example.com'));
        const old = svc.linkUrl('old@example.com', {
          issuedAt: Math.floor(Date.now() / 1000) - (MAX_AGE_DAYS + 1) * 86400,
        });
        expect((await oneClick(fake)).status).to.equal(403);
        expect((await oneClick(old)).status).to.equal(410);
        expect((await oneClick(svc.linkUrl('ann@example.com'))).status).to.equal(200);
        expect((await oneClick(fake)).status).to.equal(429);
        expect((await oneClick(old)).status).to.equal(429);
        // A body that is no unsubscribe, with an authentic link, keeps the address's budget.
        expect((await oneClick(svc.linkUrl('bob@example.com'), 'subscribe=yes')).status).to.equal(
          429,
        );
        expect((await oneClick(svc.linkUrl('bob@example.com'))).status).to.equal(200);
        expect(await historyOf(svc.services, 'bob@example.com')).to.have.length(1);
      } finally {
        await svc.stop();
      }
    });

    it('one link posted again and again is refused past its own budget, whatever the address budget', async () => {
      const svc = await startLinkService(engine, {
        unsubscribeRateLimit: 0,
        unsubscribeLinkRateLimit: 3,
      });
      try {
        const url = svc.linkUrl('rex@example.com');
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await oneClick(url)).status);
        expect(statuses).to.deep.equal([200, 200, 200, 429, 429, 429]);
        const refused = await oneClick(url);
        expect(refused.headers.get('retry-after')).to.equal('60');
        expect(refused.body).to.equal('Too many requests; try again later.\n');
        // The same link's page button too; another link of the same address has its own.
        const button = { 'List-Unsubscribe': 'One-Click', via: 'page' };
        expect((await postForm(url, button)).status).to.equal(429);
        expect(await historyOf(svc.services, 'rex@example.com')).to.have.length(1);
        expect((await oneClick(svc.linkUrl('rex@example.com', { list: 'news' }))).status).to.equal(
          200,
        );
        const metrics = await (
          await fetch(`http://127.0.0.1:${svc.running.metricsPort}/metrics`)
        ).text();
        expect(metrics).to.match(/du_link_refusals_total\{reason="link_rate_limited"\} 5\b/);
      } finally {
        await svc.stop();
      }
    });

    it("the page's undo button is refused past the address budget; its unsubscribe button is not", async () => {
      const svc = await startLinkService(engine, { unsubscribeRateLimit: 2 });
      try {
        const url = svc.linkUrl('una@example.com');
        const unsubscribe = { 'List-Unsubscribe': 'One-Click', via: 'page' };
        const done = await postForm(url, unsubscribe);
        expect(done.status).to.equal(200);
        const code = /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]!;
        expect((await oneClick(forged(url))).status).to.equal(403);
        const undo = await postForm(url, { resubscribe: code });
        expect(undo.status).to.equal(429);
        expect(undo.headers.get('content-type')).to.match(/^text\/html/);
        expect(undo.headers.get('retry-after')).to.equal('60');
        const history = await historyOf(svc.services, 'una@example.com');
        expect(history).to.have.length(1);
        // Another recipient's unsubscribe on the page, from the same spent address.
        const other = await postForm(svc.linkUrl('uma@example.com'), unsubscribe);
        expect(other.status).to.equal(200);
        expect(other.body).to.contain('resubscribe');
        expect(await historyOf(svc.services, 'uma@example.com')).to.have.length(1);
        // The reads keep their own budget.
        expect((await get(url)).status).to.equal(200);
      } finally {
        await svc.stop();
      }
    });
  });
}
