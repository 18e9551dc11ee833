import { expect } from 'chai';
import { WRITER_FLOOR_LOCK } from '../../src/data-access/activity-horizon.js';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { createDomainServices } from '../../src/domain/services.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { createLead, web, type Harness } from '../support/harness.js';
import { openUnitOfWork } from '../support/step-units.js';
import { newLeadAt } from '../support/records.js';
import {
  outsideTransaction as pgOutsideTransaction,
  pgMessagesWhile,
} from '../support/pg-messages.js';

const postgres = testEngines().find((e) => e.name === 'postgres');

(postgres ? describe : describe.skip)('PostgreSQL BEGIN sent with the first statement', () => {
  let h: Harness;
  let uow: UnitOfWork;

  before(async () => ({ h, uow } = await openUnitOfWork(postgres!)));
  after(() => h.drop());

  const outsideTransaction = () => pgOutsideTransaction(h.db.knex);

  it('an unsubscribe by address makes two round trips: the read, then its checked step', async () => {
    for (let i = 0; i < 3; i++) await createLead(h.services, 'step@x.example');
    const sent = await pgMessagesWhile(() =>
      h.services.leads.sync(
        { email: 'step@x.example', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      ),
    );
    // The unchanged-check read; then BEGIN, the address's lock, the check of that read under
    // it, status + followers and the lead + its log, and COMMIT (pg-step.ts).
    expect(sent).to.have.length(2);
    expect(sent[1]).to.match(
      /^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SELECT pg_advisory_xact_lock\(-?\d+\); SELECT stale_read_unless\(.*\) AS ok; WITH s AS \(INSERT INTO email_status .*; WITH u AS \(UPDATE leads .*; COMMIT;$/s,
    );
    const leads = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'step@x.example' });
    expect(leads.map((l) => l.unsubscribed)).to.deep.equal([true, true, true]);
  });

  it("a re-subscribe by address makes two round trips too: its address's status is read with the person", async () => {
    for (let i = 0; i < 3; i++) await createLead(h.services, 'back@x.example');
    const sync = (value: string) =>
      h.services.leads.sync(
        { email: 'back@x.example', attributes: [{ name: 'Unsubscribed', value }] },
        { path: web },
      );
    await sync('true');
    const sent = await pgMessagesWhile(() => sync('false'));
    // The person and the status of the address that found them in one message (what the
    // re-subscribe lifts), then the checked step.
    expect(sent).to.have.length(2);
    expect(sent[0]).to.match(/FROM leads WHERE .*FROM email_status WHERE/s);
    const leads = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'back@x.example' });
    expect(leads.map((l) => l.unsubscribed)).to.deep.equal([false, false, false]);
  });

  it('the locked path makes three round trips, the lock and the lead with BEGIN', async () => {
    for (let i = 0; i < 3; i++) await createLead(h.services, 'trips@x.example');
    // A store whose port says checked steps do not pay: the locked path alone.
    const locked = Object.create(uow, { guardedSteps: { value: false } }) as UnitOfWork;
    const services = createDomainServices(locked, { customFields: [], defaultPartition: 'D' });
    const sent = await pgMessagesWhile(() =>
      services.leads.sync(
        { email: 'trips@x.example', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      ),
    );
    // The unchanged-check read, BEGIN + lock + the lead FOR UPDATE, then status + followers
    // (queued) with the lead + its log (the last statement) and COMMIT.
    expect(sent).to.have.length(3);
    expect(sent[1]).to.match(
      /^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SELECT pg_advisory_xact_lock\(k\) [^;]*; SELECT \* FROM leads WHERE email_key = 'trips@x\.example' .* FOR UPDATE$/,
    );
    expect(sent[2]).to.match(
      /^WITH s AS \(INSERT INTO email_status .*; WITH u AS \(UPDATE leads .*; COMMIT;$/s,
    );
    const leads = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'trips@x.example' });
    expect(leads.map((l) => l.unsubscribed)).to.deep.equal([true, true, true]);
  });

  it('a first statement goes with BEGIN, its values written in, and commits', async () => {
    const sent = await pgMessagesWhile(() =>
      uow.write((r) => r.emailStatus.get("o'hara?@x.example")),
    );
    expect(sent).to.deep.equal([
      `BEGIN; ${WRITER_FLOOR_LOCK}; SELECT * FROM email_status WHERE email_key =  E'o''hara\\x3f@x.example'`,
      'COMMIT;',
    ]);
    expect(await outsideTransaction()).to.equal(true);
  });

  it('a first statement with values that cannot be written in is preceded by BEGIN', async () => {
    // PostgreSQL refuses a NUL in text, bound or written in; bound, it fails as before.
    let failed = false;
    const sent = await pgMessagesWhile(() =>
      uow.write((r) => r.emailStatus.get('nul\0@x.example')).catch(() => (failed = true)),
    );
    expect(failed).to.equal(true);
    const verbs = sent.map((s) => s.split(' ')[0]!.toUpperCase());
    expect(verbs).to.deep.equal(['BEGIN;', 'SELECT', 'ROLLBACK']);
    expect(sent[1]).to.match(/= \$1$/);
    expect(await outsideTransaction()).to.equal(true);
  });

  it('address locks wait for the next statement and go in its message', async () => {
    const sent = await pgMessagesWhile(() =>
      uow.write(async (r) => {
        await r.lockEmailKeys(['a@x.example']);
        await r.lockEmailKeys(['b@x.example']);
        return r.emailStatus.get('a@x.example');
      }),
    );
    expect(sent).to.have.length(2);
    expect(sent[0]).to.match(
      /^BEGIN; SELECT pg_advisory_xact_lock_shared\([^;]*\); SELECT pg_advisory_xact_lock\(k\) [^;]*; SELECT pg_advisory_xact_lock\(k\) [^;]*; SELECT \* FROM email_status/,
    );
    expect(sent[1]).to.equal('COMMIT;');
  });

  it('the read sent with a lock sees what the holder of the lock committed', async () => {
    // Each statement of one message has a snapshot of its own: the read's is taken once the
    // lock is granted, so it sees the lead the lock's holder created meanwhile.
    const key = 'snapshot@x.example';
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
    let id = 0;
    const holder = uow.write(async (r) => {
      await r.lockEmailKeys([key]);
      id = await r.leads.insert(newLeadAt(key));
      inserted();
      await held;
    });
    await insertedNow;
    const reader = uow.write(async (r) => {
      await r.lockEmailKeys([key]);
      return r.leads.findLatestByEmailKey(key, true);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await holder;
    expect((await reader)?.id).to.equal(id);
  });

  it('locks that no statement follows send nothing', async () => {
    const sent = await pgMessagesWhile(() => uow.write((r) => r.lockEmailKeys(['c@x.example'])));
    expect(sent).to.deep.equal([]);
    expect(await outsideTransaction()).to.equal(true);
  });

  it('a transaction that fails before any statement sends nothing', async () => {
    const sent = await pgMessagesWhile(() =>
      uow
        .write(() => Promise.reject(new AppError(ErrorCode.LEAD_NOT_FOUND, 'none')))
        .catch(() => undefined),
    );
    expect(sent).to.deep.equal([]);
    expect(await outsideTransaction()).to.equal(true);
  });

  it('a transaction that fails after BEGIN went with its lock is rolled back', async () => {
    await expectRejected(
      uow.write(async (r) => {
        await r.lockEmailKeys(['rolled@x.example']);
        await r.emailStatus.set({
          emailKey: 'rolled@x.example',
          unsubscribed: true,
          reason: null,
          source: 'test',
          leadId: null,
          changedAt: 1,
        });
        throw new AppError(ErrorCode.LEAD_SYNC_FAILED, 'undo');
      }),
    );
    expect((await h.services.durableStatus.explain('rolled@x.example')).status).to.equal(null);
    expect(await outsideTransaction()).to.equal(true);
  });
});

async function expectRejected(p: Promise<unknown>): Promise<void> {
  let failed = false;
  await p.catch(() => (failed = true));
  expect(failed).to.equal(true);
}
