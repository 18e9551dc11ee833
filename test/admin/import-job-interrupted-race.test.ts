import { expect } from 'chai';
import { createServices } from '../../src/compose.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { Transactions } from '../../src/domain/ports.js';
import { SuppressionImportJobs } from '../../src/domain/suppression-import-job.js';
import { testEngines } from '../support/database.js';

const config = { customFields: [], defaultPartition: 'Default' };

function latch(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/**
 * Instance A starts importing `emails` from a file whose end comes late (a long batch); the
 * clock then moves past A's lease, so other instances see the import as claimable.
 */
async function importPastItsLease(db: Parameters<typeof createServices>[0], emails: string[]) {
  const clock = { now: Date.now() };
  const a = createServices(db, config, { now: () => clock.now });
  const fileEnd = latch();
  async function* rows() {
    for (const [i, email] of emails.entries()) yield { line: i + 1, email };
    await fileEnd.opened;
  }
  const id = await a.suppressionImports.start(rows(), 'alice', () => 1);
  clock.now += 120000;
  return { a, id, fileEnd, clock };
}

for (const engine of testEngines()) {
  describe(`an import another instance thinks interrupted (${engine.name})`, function () {
    this.timeout(60000);

    it('is not reported interrupted once it has finished', async () => {
      const made = await engine.create();
      try {
        const { a, id, fileEnd, clock } = await importPastItsLease(made.db, [
          'late1@example.com',
          'late2@example.com',
          'late3@example.com',
        ]);
        // Instance B reads the job as claimable (its lease ran out); A finishes before B
        // writes: B must not overwrite the finished import with "Interrupted".
        const base = new UnitOfWork(made.db);
        const readDone = latch();
        const mayWrite = latch();
        const slow = Object.create(base) as Transactions;
        slow.read = async (work) => {
          const result = await base.read(work);
          readDone.open();
          await mayWrite.opened;
          return result;
        };
        const b = new SuppressionImportJobs(slow, a.suppressions, () => clock.now);
        const failing = b.failInterrupted();
        await readDone.opened;
        fileEnd.open();
        await a.suppressionImports.settled(id);
        expect((await a.suppressionImports.status(id)).job.state).to.equal('done');
        mayWrite.open();
        await failing;
        const status = await a.suppressionImports.status(id);
        expect(status.job.state).to.equal('done');
        expect(status.job.message).to.equal(null);
        expect(status.progress?.counts.suppressed).to.equal(3);
      } finally {
        await made.drop();
      }
    });
    it('finishes as done, without the interruption, an import thought stopped while slow', async () => {
      const made = await engine.create();
      try {
        const { a, id, fileEnd, clock } = await importPastItsLease(made.db, ['slow@example.com']);
        // Another instance, past A's lease, reports the import interrupted.
        const b = createServices(made.db, config, { now: () => clock.now });
        await b.suppressionImports.failInterrupted();
        expect((await a.suppressionImports.status(id)).job.state).to.equal('failed');
        // A was alive after all: it finishes, and says so.
        fileEnd.open();
        await a.suppressionImports.settled(id);
        const status = await a.suppressionImports.status(id);
        expect(status.job.state).to.equal('done');
        expect(status.job.message).to.equal(null);
        expect(status.progress?.counts.suppressed).to.equal(1);
      } finally {
        await made.drop();
      }
    });
  });
}
