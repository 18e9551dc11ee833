import { expect } from 'chai';
import type { Knex } from 'knex';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { FINAL_STEP } from '../../src/domain/ports.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, leadAddresses, type Harness } from '../support/harness.js';
import { linkPropagation, linkStatus } from '../support/records.js';
import { expectRejectedAlone, openUnitOfWork, refuseWrites } from '../support/step-units.js';
import { historyCount, withSlowWriterAnswers } from '../support/writer-answers.js';

/**
 * One-step units whose outcome is their message's (StepOptions.final: the one-click
 * unsubscribe, the guarded syncLead): a SQLite group made of them alone has its COMMIT posted
 * right behind its steps, not after their answers have crossed back; every caller is still
 * answered after that COMMIT.
 */

for (const engine of testEngines()) {
  describe(`one-step units whose answer is final (${engine.name})`, () => {
    let h: Harness;
    let uow: UnitOfWork;
    let k: Knex;

    beforeEach(async () => ({ h, uow, k } = await openUnitOfWork(engine)));
    afterEach(() => h.drop());

    const history = (key: string) => historyCount(k, key);

    /** How many times each address's unit ran. */
    const runs = new Map<string, number>();
    const finalUnsubscribe = (key: string, after?: () => void) =>
      uow.writeStep(async (r) => {
        runs.set(key, (runs.get(key) ?? 0) + 1);
        const result = await r.leads.unsubscribeAddressOnce(linkStatus(key, 1000), linkPropagation);
        after?.();
        return result;
      }, FINAL_STEP);

    if (engine.name === 'sqlite')
      it("posts the group's COMMIT before its steps' answers cross back; callers after it", async () => {
        const emails = Array.from({ length: 6 }, (_, i) => `final${i}@final.example`);
        const events = await withSlowWriterAnswers(100, 'all', async (seen) => {
          const results = await Promise.all(
            emails.map((email) =>
              h.services.links
                .unsubscribe({ email, linkId: 'l', list: null })
                .then((r) => (seen.push('caller answered'), r)),
            ),
          );
          expect(results.every((r) => r.changed)).to.equal(true);
        });
        // The six steps, COMMIT behind them before any answer; every caller after COMMIT's.
        expect(events).to.deep.equal([
          ...emails.map(() => 'step posted'),
          'commit posted',
          'answered',
          'commit answered',
          ...emails.map(() => 'caller answered'),
        ]);
        for (const email of emails) expect(await history(email)).to.equal(1);
      });

    it('a unit that fails after its answer keeps its write; the others are stored once', async () => {
      runs.clear();
      const keys = await leadAddresses(h.services, 'after', 'final.example', 4);
      const results = await Promise.allSettled(
        keys.map((key, i) =>
          finalUnsubscribe(
            key,
            i === 1
              ? () => {
                  throw new Error('failed reading its answer');
                }
              : undefined,
          ),
        ),
      );
      expectRejectedAlone(results, 4, 1);
      expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/reading its answer/);
      // Its outcome was its message's: committed with the group, nobody ran twice.
      expect(keys.map((key) => runs.get(key))).to.deep.equal([1, 1, 1, 1]);
      for (const key of keys) expect(await history(key)).to.equal(1);
      await expectNoViolations(h.services);
    });

    if (engine.name === 'sqlite')
      it('a step that fails after writing rolls its group back at COMMIT; the others run again', async () => {
        runs.clear();
        const keys = await leadAddresses(h.services, 'spoil', 'final.example', 5);
        const bad = keys[2]!;
        // The person's update fails after the status, its history and the activities were written.
        await refuseWrites(k, 'UPDATE ON leads', bad);
        const results = await Promise.allSettled(keys.map((key) => finalUnsubscribe(key)));
        expectRejectedAlone(results, 5, 2, 'SQLITE_CONSTRAINT_TRIGGER');
        // Rolled back with it, then run again: each stored once; the failed one not at all.
        expect(keys.map((key) => runs.get(key))).to.deep.equal([2, 2, 1, 2, 2]);
        for (const key of keys) expect(await history(key)).to.equal(key === bad ? 0 : 1);
        await expectNoViolations(h.services);
      });
  });
}
