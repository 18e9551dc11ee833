import { expect } from 'chai';
import sinon from 'sinon';
import { BatchSession, BatchUnsupported } from '../../src/data-access/batch/batch-session.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { testEngines } from '../support/database.js';
import { whileAddressHeld } from '../support/held-write.js';
import {
  faultCode,
  rawCall,
  startTestService,
  syncUnsubscribedXml,
  type TestService,
} from '../support/service.js';
import { slowCommits } from '../support/slow-commits.js';
import { peopleWithEmail } from '../support/people.js';
import { waitFor } from '../support/wait.js';

/**
 * A call that outlasts REQUEST_TIMEOUT_MS: the answer tells the truth about what is stored.
 * Answered 10001, nothing of it is stored, then or later; a call whose write was already being
 * committed is answered with that commit's outcome; a syncMultipleLeads whose records went in
 * transactions of their own says which of them were stored.
 */
const TIMEOUT_MS = 1000;

const SYNC_MANY = (emails: readonly string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${emails
    .map(
      (email) =>
        `<leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName>` +
        `<attrValue>1</attrValue></attribute></leadAttributeList></leadRecord>`,
    )
    .join('')}</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>`;

/** Each syncStatus of a syncMultipleLeads answer: its status and error text. */
function statusesOf(body: string): Array<{ status: string; error: string }> {
  return [...body.matchAll(/<syncStatus>([\s\S]*?)<\/syncStatus>/g)].map(([, inner]) => ({
    status: /<status>([^<]*)<\/status>/.exec(inner!)?.[1] ?? '',
    error: /<error>([^<]*)<\/error>/.exec(inner!)?.[1] ?? '',
  }));
}

for (const engine of testEngines()) {
  describe(`a call past REQUEST_TIMEOUT_MS (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    beforeEach(async () => {
      service = await startTestService(engine, {
        requestTimeoutMs: TIMEOUT_MS,
        dbAcquireTimeoutMs: TIMEOUT_MS / 2,
      });
      // A fresh service's first writes can take longer than the short timeout (statements
      // prepared, code compiled): those are made first, whatever they answer.
      for (let i = 0; i < 3; i++)
        await rawCall(service.url, syncUnsubscribedXml(`warm${i}@timeout.example`, '1'));
    });
    afterEach(async () => {
      sinon.restore();
      await service.stop();
    });

    /** The people stored at `email`, with their flags. */
    const stored = async (email: string): Promise<boolean[]> =>
      (await peopleWithEmail(service.running.services, email)).map((l) => l.unsubscribed);
    /** Every write in flight now has ended (committed or rolled back). */
    const settled = () => new UnitOfWork(service.running.database).settleWrites();

    it('that waited for the database answers 10001 and stores nothing, then or later; the call beside it is stored', async () => {
      const email = 'held@timeout.example';
      const beside = 'beside@timeout.example';
      let late!: Awaited<ReturnType<typeof rawCall>>;
      let besideCall!: Promise<Awaited<ReturnType<typeof rawCall>>>;
      await whileAddressHeld(service.running.database, email, async () => {
        late = await rawCall(service.url, syncUnsubscribedXml(email, '1'));
        // Sent while the first waits still (on SQLite it joins the first one's group).
        besideCall = rawCall(service.url, syncUnsubscribedXml(beside, '1'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      });
      expect(faultCode(late.body), late.body).to.equal(10001);
      const besideAnswer = await besideCall;
      expect(besideAnswer.status, besideAnswer.body).to.equal(200);
      await settled();
      // What the database held back goes on once it is free: the timed-out call stores nothing.
      expect(await stored(email)).to.deep.equal([]);
      expect(await stored(beside)).to.deep.equal([true]);
    });

    it('whose opt-out was being committed is answered with the commit, never 10001', async () => {
      const email = 'committing@timeout.example';
      // The person, made before the test proper: on a loaded machine this call too can outlast
      // the short timeout (answered 10001, stored nothing), and a client sends it again.
      let first!: Awaited<ReturnType<typeof rawCall>>;
      await waitFor(
        async () =>
          faultCode((first = await rawCall(service.url, syncUnsubscribedXml(email, '0'))).body) !==
          10001,
      );
      expect(first.status, first.body).to.equal(200);
      let answer!: Awaited<ReturnType<typeof rawCall>>;
      const started = Date.now();
      await slowCommits(service.running.database, 2 * TIMEOUT_MS, async () => {
        answer = await rawCall(service.url, syncUnsubscribedXml(email, '1'));
      });
      const took = Date.now() - started;
      expect(answer.status, `${Date.now() - started} ${answer.body}`).to.equal(200);
      expect(answer.body).to.match(/<status>UPDATED<\/status>/);
      expect(await stored(email)).to.deep.equal([true]);
      // It was answered after its deadline, once the commit had ended.
      expect(took).to.be.greaterThan(TIMEOUT_MS);
    });

    it('a syncMultipleLeads in one transaction per record answers which records are stored', async () => {
      // The batch cannot be held: each record goes in a transaction of its own.
      sinon.stub(BatchSession, 'open').rejects(new BatchUnsupported('test'));
      const emails = Array.from({ length: 6 }, (_, i) => `batch${i}@timeout.example`);
      let answer!: Awaited<ReturnType<typeof rawCall>>;
      // Each record's COMMIT takes 40 % of the timeout: the deadline comes within the batch.
      await slowCommits(service.running.database, (TIMEOUT_MS * 2) / 5, async () => {
        answer = await rawCall(service.url, SYNC_MANY(emails));
      });
      await settled();
      const kept = await Promise.all(emails.map(async (e) => (await stored(e)).length > 0));
      if (answer.status !== 200) {
        // The deadline came before any record was being committed: none is stored.
        expect(faultCode(answer.body), answer.body).to.equal(10001);
        expect(kept).to.deep.equal(emails.map(() => false));
        return;
      }
      const statuses = statusesOf(answer.body);
      expect(statuses).to.have.length(emails.length);
      expect(
        statuses.map((s) => s.status !== 'FAILED'),
        answer.body,
      ).to.deep.equal(kept);
      // Some were stored before the deadline, the rest were not, each said so.
      expect(kept).to.include(true);
      expect(kept).to.include(false);
      for (const s of statuses.filter((x) => x.status === 'FAILED'))
        expect(s.error).to.match(/^10001 - /);
    });
  });
}
