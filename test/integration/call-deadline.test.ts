import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { CallDeadline } from '../../src/domain/ports.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { linkPropagation, linkStatus } from '../support/records.js';

/**
 * Units of work carrying their call's deadline (CallDeadline): one past it before its point of
 * no return is withdrawn, stores nothing, and leaves the units beside it (on SQLite, its group)
 * to commit. (One already committing then: test/resilience/request-timeout.test.ts.)
 */
for (const engine of testEngines()) {
  describe(`units of work past their call's deadline (${engine.name})`, function () {
    this.timeout(30000);
    let db: Database;
    let drop: () => Promise<void>;
    let uow: UnitOfWork;

    beforeEach(async () => {
      const made = await engine.create();
      db = made.db;
      drop = made.drop;
      uow = new UnitOfWork(db);
    });
    afterEach(() => drop());

    const statusOf = async (key: string) =>
      (await uow.read((r) => r.emailStatus.get(key)))?.unsubscribed;
    const optOut = (key: string) => [linkStatus(key, 1000)];

    it('a unit whose deadline passes while it runs is rolled back; the unit beside it commits', async () => {
      const deadline = new CallDeadline();
      let goOn!: () => void;
      const held = new Promise<void>((resolve) => (goOn = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      // Asked for in one turn: on SQLite they share a group, each in a savepoint.
      const late = uow.write(
        async (r) => {
          await r.emailStatus.setMany(optOut('late@deadline.example'));
          started();
          await held;
        },
        { deadline },
      );
      const beside = uow.write((r) => r.emailStatus.setMany(optOut('beside@deadline.example')));
      await running;
      // Nothing of the call was committing: the timeout may be answered as "nothing stored".
      expect(deadline.expire()).to.equal(true);
      goOn();
      const error = await late.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code).to.equal(ErrorCode.INTERNAL);
      await beside;
      expect(await statusOf('late@deadline.example')).to.equal(undefined);
      expect(await statusOf('beside@deadline.example')).to.equal(true);
    });

    it('no unit or step starts past its deadline: each fails with the timeout, storing nothing', async () => {
      const deadline = new CallDeadline();
      expect(deadline.expire()).to.equal(true);
      const step = uow.writeStep(
        (r) =>
          r.leads.unsubscribeAddressOnce(
            linkStatus('step@deadline.example', 1000),
            linkPropagation,
          ),
        { deadline },
      );
      const unit = uow.write((r) => r.emailStatus.setMany(optOut('unit@deadline.example')), {
        deadline,
      });
      for (const refused of [step, unit]) {
        const error = await refused.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal(ErrorCode.INTERNAL);
      }
      expect(await statusOf('step@deadline.example')).to.equal(undefined);
      expect(await statusOf('unit@deadline.example')).to.equal(undefined);
    });
  });
}
