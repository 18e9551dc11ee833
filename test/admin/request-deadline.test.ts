import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { testEngines } from '../support/database.js';
import { whileAddressHeld } from '../support/held-write.js';
import type { TestService } from '../support/service.js';
import { consolePerTest, postPersonFlag, type AdminClient, type Reply } from './support.js';

/**
 * A console change past REQUEST_TIMEOUT_MS is answered as a SOAP call is: the console's error
 * page (503) within the deadline, and nothing of it is stored, then or later.
 */
const TIMEOUT_MS = 1000;
const GRACE_MS = 3000;

/** The reply, or a failure once it is well past any deadline (an answer never sent fails). */
function inTime(reply: Promise<Reply>): Promise<Reply> {
  return Promise.race([
    reply,
    new Promise<Reply>((_resolve, reject) =>
      setTimeout(() => reject(new Error('no answer')), (TIMEOUT_MS + GRACE_MS) * 3),
    ),
  ]);
}

for (const engine of testEngines()) {
  describe(`console change past REQUEST_TIMEOUT_MS (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, client } = c), {
      requestTimeoutMs: TIMEOUT_MS,
      commitGraceMs: GRACE_MS,
      dbAcquireTimeoutMs: TIMEOUT_MS / 2,
    });

    it('suppressing an address held by a long write answers 503 in time and stores nothing, then or later', async () => {
      const email = 'held@deadline.example';
      const form = { _csrf: client.csrf, email, unsubscribed: 'true', reason: 'asked by phone' };
      let reply!: Reply;
      const started = Date.now();
      await whileAddressHeld(svc.running.database, email, async () => {
        reply = await inTime(client.post('/admin/address/status', form));
      });
      expect(reply.status, reply.body).to.equal(503);
      expect(reply.body).to.include('Request timed out before it was stored; nothing was changed');
      expect(Date.now() - started).to.be.below(TIMEOUT_MS + GRACE_MS);
      await new UnitOfWork(svc.running.database).settleWrites();
      const services = svc.running.services;
      expect((await services.durableStatus.explain(email)).status).to.equal(null);
      // Sent again, it is stored.
      const again = await client.post('/admin/address/status', form);
      expect(again.status, again.body).to.equal(303);
      expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });

    it('holds a change posted to its path in another case to the same deadline', async () => {
      // Express routes paths in any case: /admin/Address/Status is the address form too. Before,
      // it ran without the deadline, held as long as the long write, then stored.
      const email = 'spelt@deadline.example';
      const form = { _csrf: client.csrf, email, unsubscribed: 'true', reason: 'asked by phone' };
      let reply!: Reply;
      await whileAddressHeld(svc.running.database, email, async () => {
        reply = await inTime(client.post('/admin/Address/STATUS', form));
      });
      expect(reply.status, reply.body).to.equal(503);
      await new UnitOfWork(svc.running.database).settleWrites();
      expect((await svc.running.services.durableStatus.explain(email)).status).to.equal(null);
    });

    it('a person page change held by a long write answers 503, never saved, and on SQLite stores nothing', async () => {
      const email = 'person@deadline.example';
      const services = svc.running.services;
      const { leadId } = await services.leads.sync({ email }, { path: ChangePaths.webService() });
      let reply!: Reply;
      await whileAddressHeld(svc.running.database, email, async () => {
        reply = await inTime(postPersonFlag(client, leadId, { unsubscribed: true }));
      });
      expect(reply.status, reply.body).to.equal(503);
      await new UnitOfWork(svc.running.database).settleWrites();
      // On SQLite its write waited behind the writer, never started: withdrawn. On PostgreSQL
      // it may have been committing (lock, writes and COMMIT in one message): then 503 says
      // its outcome is unknown.
      if (engine.name === 'sqlite') {
        expect(reply.body).to.include('nothing was changed');
        const [person] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
        expect(person!.unsubscribed).to.equal(false);
      }
    });
  });
}
