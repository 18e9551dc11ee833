import { expect } from 'chai';
import type { Knex } from 'knex';
import { MAX_GROUP_UNITS, UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, leadAddresses, type Harness } from '../support/harness.js';
import { linkPropagation, linkStatus, linkUnsubscribe } from '../support/records.js';
import { openUnitOfWork } from '../support/step-units.js';
import { historyCount, withSlowWriterAnswers } from '../support/writer-answers.js';

/**
 * Groups of one-step units on a SQLite file, one behind the other: the next group's messages
 * are posted once the group before it has posted its COMMIT, without waiting for that COMMIT's
 * answer; each caller is still answered after its own group's COMMIT.
 */

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

describe('SQLite groups of one-step units, one behind the other', () => {
  let h: Harness;
  let uow: UnitOfWork;
  let k: Knex;

  beforeEach(async () => ({ h, uow, k } = await openUnitOfWork(sqlite)));
  afterEach(() => h.drop());

  const unsubscribe = (key: string, at = 1000) => linkUnsubscribe(uow, key, at);

  const addresses = (name: string, n: number) =>
    leadAddresses(h.services, name, 'groups.example', n);

  const history = (key: string) => historyCount(k, key);

  it("posts the next group's steps before the COMMIT ahead of them is answered", async () => {
    // One full group, and the next one behind it.
    const keys = await addresses('next', MAX_GROUP_UNITS + 4);
    let results: Array<{ changed: boolean }> = [];
    const events = await withSlowWriterAnswers(150, 'commits', async () => {
      results = await Promise.all(keys.map((key) => unsubscribe(key)));
    });
    const firstCommit = events.indexOf('commit posted');
    const firstAnswer = events.indexOf('commit answered');
    expect(firstCommit).to.equal(MAX_GROUP_UNITS);
    // The second group's four steps went between the first COMMIT and its answer.
    expect(events.slice(firstCommit + 1, firstAnswer)).to.deep.equal([
      'step posted',
      'step posted',
      'step posted',
      'step posted',
      'commit posted',
    ]);
    expect(results.every((r) => r.changed)).to.equal(true);
    for (const key of keys) expect(await history(key)).to.equal(1);
    await expectNoViolations(h.services);
  });

  it('a COMMIT that fails fails its own group only; the group posted behind it commits', async () => {
    const keys = await addresses('behind', MAX_GROUP_UNITS + 3);
    const broken = keys[1]!;
    // A deferred foreign key broken by one unit of the first group: refused at its COMMIT.
    await k.raw(
      'CREATE TABLE groups_deferred (lead_id INTEGER REFERENCES leads(id) DEFERRABLE INITIALLY DEFERRED)',
    );
    await k.raw(
      `CREATE TRIGGER break_first_commit AFTER INSERT ON email_status_history
       WHEN NEW.email_key = '${broken}' BEGIN INSERT INTO groups_deferred VALUES (-1); END`,
    );
    let results: Array<PromiseSettledResult<unknown>> = [];
    const events = await withSlowWriterAnswers(150, 'commits', async () => {
      // Without retries: the first group's callers see its COMMIT's failure.
      const once = new UnitOfWork(h.db, { maxAttempts: 1 });
      results = await Promise.allSettled(
        keys.map((key) =>
          once.writeStep((r) =>
            r.leads.unsubscribeAddressOnce(linkStatus(key, 1000), linkPropagation),
          ),
        ),
      );
    });
    // The second group was posted behind the first COMMIT before its (failed) answer.
    expect(events.indexOf('commit posted', events.indexOf('commit posted') + 1)).to.be.below(
      events.indexOf('commit answered'),
    );
    const first = results.slice(0, MAX_GROUP_UNITS);
    const second = results.slice(MAX_GROUP_UNITS);
    for (const r of first) {
      expect(r.status).to.equal('rejected');
      const reason = (r as PromiseRejectedResult).reason as { code?: string };
      expect(reason.code).to.equal('SQLITE_CONSTRAINT_FOREIGNKEY');
    }
    for (const key of keys.slice(0, MAX_GROUP_UNITS)) expect(await history(key)).to.equal(0);
    expect(second.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled']);
    for (const key of keys.slice(MAX_GROUP_UNITS)) expect(await history(key)).to.equal(1);
  });
});
