import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { get, historyOf, oneClick, startLinkService } from './support.js';
import { whileConnectionHeld } from '../support/held-write.js';

/**
 * Every database connection busy past DB_ACQUIRE_TIMEOUT_MS is a full service, not a broken
 * one: a mailbox provider's one-click POST is answered 503 with Retry-After (as when the
 * database is down), so it tries again. PostgreSQL only: there the calls share a pool of
 * DB_POOL_MAX connections; SQLite's writes wait their turn on the one writer instead.
 */
for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe(`one-click with every database connection busy (${engine.name})`, function () {
    this.timeout(60000);

    it('answers 503 with Retry-After, in plain words, and stores nothing', async () => {
      const svc = await startLinkService(engine, { dbPoolMax: 1, dbAcquireTimeoutMs: 200 });
      try {
        // The only connection of the pool, held by a transaction until the answers are in.
        await whileConnectionHeld(svc.running.database.knex, async () => {
          const a = await oneClick(svc.linkUrl('busy@example.com'));
          expect(a.status, a.body).to.equal(503);
          expect(a.headers.get('retry-after')).to.equal('60');
          expect(a.body).to.equal('Unsubscribe not recorded; try again later.\n');
          const page = await get(svc.linkUrl('busy@example.com'), { 'accept-language': 'fr' });
          expect(page.status).to.equal(503);
          expect(page.body).to.contain('Rien n’a été modifié');
        });
        expect(await historyOf(svc.services, 'busy@example.com')).to.have.length(0);
        // Once a connection is free, the same link unsubscribes.
        expect((await oneClick(svc.linkUrl('busy@example.com'))).status).to.equal(200);
        expect(await historyOf(svc.services, 'busy@example.com')).to.have.length(1);
      } finally {
        await svc.stop();
      }
    });
  });
}
