import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService } from '../support/service.js';
import { whileConnectionHeld } from '../support/held-write.js';
import { ALICE, AdminClient } from './support.js';

/**
 * Every database connection busy past DB_ACQUIRE_TIMEOUT_MS is a full service, not a broken
 * one: the console says so (503, try again) instead of an internal error. PostgreSQL only:
 * there the calls share a pool of DB_POOL_MAX connections; SQLite's writes wait their turn on
 * the one writer instead.
 */
for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe(`operator console with every database connection busy (${engine.name})`, function () {
    this.timeout(60000);

    it('answers 503, the page saying to try again, and is itself again once a connection is free', async () => {
      const svc = await startTestService(engine, {
        adminUsers: [ALICE],
        dbPoolMax: 1,
        dbAcquireTimeoutMs: 200,
      });
      try {
        const client = new AdminClient(svc.base);
        expect((await client.logIn()).status).to.equal(303);
        // The only connection of the pool, held by a transaction until the answers are in.
        await whileConnectionHeld(svc.running.database.knex, async () => {
          const page = await client.get('/admin/address?email=busy%40example.com');
          expect(page.status, page.body.slice(0, 400)).to.equal(503);
          expect(page.body).to.contain('try again');
        });
        expect((await client.get('/admin/address?email=busy%40example.com')).status).to.equal(200);
      } finally {
        await svc.stop();
      }
    });
  });
}
