/**
 * Where and when the checked batch (batch-checked.test.ts) reads on a SQLite file: on the
 * writer's connection, while the writer's group of transactions is still open, and what it
 * does when what it read there is rolled back. PostgreSQL has no checked batch.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { UnitOfWork, type Repositories } from '../../src/data-access/unit-of-work.js';
import type { PropagationActivity } from '../../src/domain/records.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import { outcome } from '../support/batch-records.js';
import {
  checkedAndReference,
  expectSame,
  seed,
  sqlite,
  watchChecked,
} from '../support/checked-batch.js';
import { testEngines } from '../support/database.js';
import { web, type Harness } from '../support/harness.js';

const propagation: PropagationActivity = {
  attributeName: 'Unsubscribed',
  reason: 'propagated',
  source: 'test',
  actor: 'test',
  causeLeadId: null,
};

for (const engine of testEngines()) {
  describe(`syncMany's checked batch: its read (${engine.name})`, () => {
    let checked: Harness;
    let reference: Harness;
    checkedAndReference(engine, (c, r) => {
      checked = c;
      reference = r;
    });

    it('is read on the writer connection, not by a reader thread', async () => {
      const ids = await seed(checked.services);
      if (!sqlite(checked) || checked.db.readKnex === checked.db.knex) return;
      const outcomes = watchChecked(new Set());
      const readerQueries = sinon.spy(checked.db.readKnex.client, 'query');
      const records = [
        { email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
        { id: ids[3]!, attributes: [{ name: 'LastName', value: 'Lee' }] },
      ];
      const got = await checked.services.leads.syncMany(records, { path: web });
      expect(got.map(outcome)).to.deep.equal([
        { leadId: ids[2], status: 'UPDATED' },
        { leadId: ids[3], status: 'UPDATED' },
      ]);
      expect(outcomes).to.deep.equal(['written']);
      expect(readerQueries.callCount, "the reader threads' queries").to.equal(0);
    });

    /**
     * Holds a write transaction of the writer open (one unit of the group commit) until the
     * returned `release` is called: `inside` runs in it first; the unit then fails (rolled back)
     * when `release` is given an error, else commits.
     */
    function holdGroup(inside: (repos: Repositories) => Promise<unknown>) {
      let release!: (error?: Error) => void;
      const released = new Promise<Error | undefined>((resolve) => (release = resolve));
      let opened!: () => void;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const done = new UnitOfWork(checked.db).write(async (repos) => {
        await inside(repos);
        opened();
        const error = await released;
        if (error) throw error;
      });
      return {
        open,
        release,
        done: done.then(
          () => 'committed',
          (e: Error) => e.message,
        ),
      };
    }

    it("is read while the writer's group is open, without waiting for its COMMIT", async () => {
      const ids = await seed(checked.services);
      if (!sqlite(checked)) return;
      let readMeanwhile = false;
      const group = holdGroup((repos) => repos.leads.findById(ids[0]!));
      await group.open;
      const outcomes = watchChecked(new Set(), async () => {
        // Between the batch's rules and its write: it was read with the group still open.
        readMeanwhile = true;
        group.release();
      });
      const batch = checked.services.leads.syncMany(
        [{ email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] }],
        { path: web },
      );
      // Through the pool the read waited for the group to end: nothing ends it but the batch.
      const waited = await Promise.race([
        batch.then(() => false),
        new Promise((r) => setTimeout(() => r(true), 2000)),
      ]);
      group.release();
      await batch;
      expect(waited, 'the batch waited for the open group').to.equal(false);
      expect(readMeanwhile).to.equal(true);
      expect(await group.done).to.equal('committed');
      expect(outcomes).to.deep.equal(['written']);
    });

    it('read inside an open group whose writes are then rolled back: the locked path writes', async () => {
      const ids = await seed(checked.services);
      await seed(reference.services);
      if (!sqlite(checked)) return;
      const records: LeadInput[] = [
        { email: 'two@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
        { email: 'new@example.com', attributes: [] },
      ];
      // Not committed: the address unsubscribed and its holder following it, then undone.
      const group = holdGroup(async (repos) => {
        await repos.setStatusAndPropagate(
          {
            emailKey: 'two@example.com',
            unsubscribed: true,
            reason: 'asked by phone',
            source: 'test',
            leadId: null,
            changedAt: Date.now(),
          },
          null,
          { ...propagation, causeLeadId: ids[2]! },
        );
        await repos.leads.findById(ids[2]!);
      });
      await group.open;
      const outcomes = watchChecked(new Set(), async () => {
        group.release(new Error('rolled back'));
        expect(await group.done).to.equal('rolled back');
      });
      // A build whose read waits for the group would never end it: ended here after a while.
      const unstick = setTimeout(() => group.release(new Error('rolled back')), 3000);
      const got = await checked.services.leads.syncMany(records, { path: web });
      clearTimeout(unstick);
      sinon.restore();
      const want = await reference.services.leads.syncMany(records, { path: web });
      await expectSame(checked, reference, got, want);
      // Read inside the group: what it read was then undone, and the check found it.
      expect(outcomes).to.deep.equal(['moved']);
    });
  });
}
