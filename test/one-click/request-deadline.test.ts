import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { testEngines } from '../support/database.js';
import { whileAddressHeld } from '../support/held-write.js';
import { slowCommits } from '../support/slow-commits.js';
import { historyOf, startLinkService, type LinkService } from './support.js';

/**
 * A one-click POST past REQUEST_TIMEOUT_MS is answered as a SOAP call is: 503 with Retry-After
 * within the deadline, and then nothing of it is stored, then or later; one whose write was
 * already being committed is answered with that commit's outcome.
 */
const TIMEOUT_MS = 1000;
const GRACE_MS = 3000;

/** The RFC 8058 POST, given up on well past the deadline (an answer never sent fails here). */
async function post(
  url: string,
  page = false,
): Promise<{ status: number; body: string; retryAfter: string | null; took: number }> {
  const started = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(page ? { accept: 'text/html' } : {}),
    },
    body: page ? 'List-Unsubscribe=One-Click&via=page' : 'List-Unsubscribe=One-Click',
    signal: AbortSignal.timeout((TIMEOUT_MS + GRACE_MS) * 3),
  });
  const body = await res.text();
  return {
    status: res.status,
    body,
    retryAfter: res.headers.get('retry-after'),
    took: Date.now() - started,
  };
}

for (const engine of testEngines()) {
  describe(`one-click past REQUEST_TIMEOUT_MS (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    beforeEach(async () => {
      svc = await startLinkService(engine, {
        requestTimeoutMs: TIMEOUT_MS,
        commitGraceMs: GRACE_MS,
        dbAcquireTimeoutMs: TIMEOUT_MS / 2,
      });
      // The first writes of a fresh service can outlast the short timeout: made first.
      for (let i = 0; i < 3; i++) await post(svc.linkUrl(`warm${i}@deadline.example`));
    });
    afterEach(() => svc.stop());

    it('queued behind a held write answers 503 with Retry-After in time, never claiming it is stored', async () => {
      const email = 'held@deadline.example';
      let answer!: Awaited<ReturnType<typeof post>>;
      await whileAddressHeld(svc.running.database, email, async () => {
        answer = await post(svc.linkUrl(email));
      });
      expect(answer.status, answer.body).to.equal(503);
      expect(answer.retryAfter).to.equal('60');
      await new UnitOfWork(svc.running.database).settleWrites();
      const history = await historyOf(svc.services, email);
      if (engine.name === 'sqlite') {
        // Queued behind the one writer, its step was never posted: withdrawn at the deadline.
        expect(answer.body).to.equal('Unsubscribe not recorded; try again later.\n');
        expect(answer.took).to.be.below(TIMEOUT_MS + GRACE_MS / 2);
        expect(history).to.have.length(0);
      } else {
        // Its one message (lock, check, writes, COMMIT) was sent and waits for the lock: it is
        // committing, so the answer waits for it up to COMMIT_GRACE_MS, then says it is unknown.
        expect(answer.body).to.equal('Unsubscribe not confirmed; send it again later.\n');
        expect(answer.took).to.be.below(TIMEOUT_MS + GRACE_MS * 2);
        expect(history).to.have.length(1);
      }
      // Sent again, it is stored (once).
      expect((await post(svc.linkUrl(email))).status).to.equal(200);
      expect(await historyOf(svc.services, email)).to.have.length(1);
    });

    it('from the page, held past COMMIT_GRACE_MS while committing, never says nothing was changed', async function () {
      // PostgreSQL: the held unsubscribe is committing (its message sent), its outcome unknown.
      if (engine.name !== 'postgres') this.skip();
      const email = 'page@deadline.example';
      let answer!: Awaited<ReturnType<typeof post>>;
      await whileAddressHeld(svc.running.database, email, async () => {
        answer = await post(svc.linkUrl(email), true);
      });
      expect(answer.status, answer.body).to.equal(503);
      expect(answer.body).to.include('Your unsubscribe is not confirmed');
      expect(answer.body).not.to.include('Nothing was changed');
    });

    it('whose write was being committed is answered with the commit, never a timeout', async () => {
      const email = 'committing@deadline.example';
      await svc.services.leads.sync({ email }, { path: ChangePaths.webService() });
      let answer!: Awaited<ReturnType<typeof post>>;
      await slowCommits(svc.running.database, 2 * TIMEOUT_MS, async () => {
        answer = await post(svc.linkUrl(email));
      });
      expect(answer.status, answer.body).to.equal(200);
      expect(answer.body).to.equal('Unsubscribed.\n');
      expect(answer.took).to.be.greaterThan(TIMEOUT_MS);
      expect((await svc.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });
  });
}
