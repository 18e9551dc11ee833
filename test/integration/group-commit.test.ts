import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import {
  MAX_GROUP_UNITS,
  RetryTransaction,
  UnitOfWork,
} from '../../src/data-access/unit-of-work.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { newLeadAt } from '../support/records.js';

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

/** Statements knex sends, in order, from now on. */
function recordStatements(db: Database): string[] {
  const seen: string[] = [];
  db.knex.on('query', (q: { sql: string }) => seen.push(q.sql));
  return seen;
}

describe('SQLite group commit', () => {
  let db: Database;
  let drop: () => Promise<void>;
  let uow: UnitOfWork;

  beforeEach(async () => {
    ({ db, drop } = await sqlite.create());
    uow = new UnitOfWork(db);
  });
  afterEach(() => drop());

  const emails = async () =>
    ((await db.knex('leads').select('email').orderBy('id')) as Array<{ email: string }>).map(
      (r) => r.email,
    );

  it('runs writers that queue meanwhile in one transaction, in arrival order', async () => {
    const statements = recordStatements(db);
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        uow.write((r) => r.leads.insert(newLeadAt(`p${i}@x.example`))),
      ),
    );
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(await emails()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `p${i}@x.example`));
    // All ten queued before the writer started: one transaction, one COMMIT (one fsync).
    expect(statements.filter((s) => /^BEGIN/i.test(s)).length).to.equal(1);
    expect(statements.filter((s) => /^COMMIT/i.test(s)).length).to.equal(1);
  });

  it('gathers the writers that come while a group commits into the next group', async () => {
    const statements = recordStatements(db);
    // The statements run in the writer thread: while the first group is in its transaction,
    // writers that first read (as a sync does before it decides to write) come one by one.
    let allQueued!: () => void;
    const queued = new Promise<void>((resolve) => (allQueued = resolve));
    const first = uow.write(async (r) => {
      await queued;
      return r.leads.insert(newLeadAt('a@x.example'));
    });
    const later: Array<Promise<number>> = [];
    for (let i = 0; i < 5; i++) {
      await uow.read((r) => r.leads.count());
      later.push(uow.write((r) => r.leads.insert(newLeadAt(`b${i}@x.example`))));
    }
    allQueued();
    await Promise.all([first, ...later]);
    expect((await emails()).length).to.equal(6);
    // The first group alone, then the five that came meanwhile together: two fsyncs, not six.
    expect(statements.filter((s) => /^BEGIN/i.test(s)).length).to.equal(2);
    expect(statements.filter((s) => /^COMMIT/i.test(s)).length).to.equal(2);
  });

  it('holds at most MAX_GROUP_UNITS units in one transaction', async () => {
    const statements = recordStatements(db);
    const n = MAX_GROUP_UNITS + 3;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        uow.write((r) => r.leads.insert(newLeadAt(`cap${i}@x.example`))),
      ),
    );
    expect((await emails()).length).to.equal(n);
    expect(statements.filter((s) => /^COMMIT/i.test(s)).length).to.equal(2);
  });

  it('undoes only the unit that fails; the others commit and are answered', async () => {
    const results = await Promise.allSettled([
      uow.write((r) => r.leads.insert(newLeadAt('first@x.example'))),
      uow.write((r) => r.leads.insert(newLeadAt('a@x.example'))),
      uow.write(async (r) => {
        await r.leads.insert(newLeadAt('refused@x.example'));
        throw new AppError(ErrorCode.LEAD_SYNC_FAILED, 'refused');
      }),
      uow.write((r) => r.leads.insert(newLeadAt('b@x.example'))),
    ]);
    expect(results.map((x) => x.status)).to.deep.equal([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).to.be.instanceOf(AppError);
    expect(await emails()).to.deep.equal(['first@x.example', 'a@x.example', 'b@x.example']);
  });

  it('answers a grouped unit only after the shared COMMIT', async () => {
    const events: string[] = [];
    db.knex.on('query', (q: { sql: string }) => {
      if (/^COMMIT/i.test(q.sql)) events.push('committed');
    });
    await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        uow
          .write((r) => r.leads.insert(newLeadAt(`${n}@x.example`)))
          .then(() => events.push(`answered ${n}`)),
      ),
    );
    expect(events).to.deep.equal(['committed', 'answered a', 'answered b', 'answered c']);
  });

  it('redoes a unit that asks for it in a later transaction, once in effect', async () => {
    const statements = recordStatements(db);
    let attempts = 0;
    const [, id] = await Promise.all([
      uow.write((r) => r.leads.insert(newLeadAt('first@x.example'))),
      uow.write(async (r) => {
        const inserted = await r.leads.insert(newLeadAt('retried@x.example'));
        if (++attempts === 1) throw new RetryTransaction();
        return inserted;
      }),
      uow.write((r) => r.leads.insert(newLeadAt('after@x.example'))),
    ]);
    expect(attempts).to.equal(2);
    expect(statements.filter((s) => /^COMMIT/i.test(s)).length).to.equal(2);
    expect(id).to.be.a('number');
    expect(await emails()).to.deep.equal([
      'first@x.example',
      'after@x.example',
      'retried@x.example',
    ]);
  });
});
