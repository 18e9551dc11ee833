import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ErrorCode } from '../../src/errors.js';
import {
  StaleRead,
  type StepOptions,
  type TransactionScope,
  type Transactions,
} from '../../src/domain/ports.js';
import { createDomainServices, type Services } from '../../src/domain/services.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  expectAppError,
  expectNoViolations,
  openHarness,
  snapshot,
  web,
  type Harness,
} from '../support/harness.js';

/**
 * syncLead's guarded step: an update of the person a plain read found is written as one
 * writeStep checked against that read (on SQLite by the writer thread, on PostgreSQL under the
 * address's lock in the step's savepoint); a check that fails stores nothing, and the locked
 * path gives the answer. The first test compares with a store whose port says steps do not
 * pay (the locked path alone): the outcomes must be the same.
 */

type Work<T> = (scope: TransactionScope) => Promise<T>;

/** The units of work the services ask for, counted; `afterRead` runs once, after the next read. */
class Observed implements Transactions {
  steps = 0;
  stale = 0;
  locked = 0;
  afterRead: (() => Promise<unknown>) | null = null;

  constructor(
    private readonly inner: UnitOfWork,
    readonly guardedSteps = inner.guardedSteps,
  ) {}

  write<T>(work: Work<T>): Promise<T> {
    this.locked++;
    return this.inner.write(work);
  }

  async writeStep<T>(work: Work<T>, options?: StepOptions): Promise<T> {
    this.steps++;
    try {
      return await this.inner.writeStep(work, options);
    } catch (error) {
      if (error instanceof StaleRead) this.stale++;
      throw error;
    }
  }

  settleWrites(): Promise<void> {
    return this.inner.settleWrites();
  }

  async read<T>(work: Work<T>): Promise<T> {
    const result = await this.inner.read(work);
    const meanwhile = this.afterRead;
    this.afterRead = null;
    if (meanwhile) await meanwhile();
    return result;
  }

  readReplicated<T>(work: Work<T>): Promise<T> {
    return this.inner.readReplicated(work);
  }
}

const config = { customFields: [], defaultPartition: 'Default' };
const flag = (value: boolean) => ({ name: 'Unsubscribed', value: String(value) });

for (const engine of testEngines()) {
  describe(`syncLead's guarded step (${engine.name})`, () => {
    let h: Harness;
    let tx: Observed;
    let s: Services;

    beforeEach(async () => {
      h = await openHarness(engine);
      tx = new Observed(new UnitOfWork(h.db));
      s = createDomainServices(tx, config, { now: h.clock.now });
    });
    afterEach(async () => {
      await expectNoViolations(h.services);
      await h.drop();
    });

    const sync = (input: LeadInput) => s.leads.sync(input, { path: web });
    const count = async (table: string, where: Record<string, unknown> = {}) =>
      Number(
        (
          (await h.db.knex(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>
        )[0]!.n,
      );
    const flagOf = async (id: number) =>
      Boolean(
        Number(
          ((await h.db.knex('leads').where('id', id).first()) as { unsubscribed: unknown })
            .unsubscribed,
        ),
      );
    /** The counts of the units run since the last call. */
    const units = () => {
      const seen = { steps: tx.steps, stale: tx.stale, locked: tx.locked };
      tx.steps = tx.stale = tx.locked = 0;
      return seen;
    };

    it('writes guarded steps', () => {
      expect(tx.guardedSteps).to.equal(true);
    });

    it('stores the same rows and activities as the locked path', async () => {
      // The same calls on a second database whose port says steps do not pay.
      const other = await openHarness(engine);
      try {
        const lockedTx = new Observed(new UnitOfWork(other.db), false);
        const locked = createDomainServices(lockedTx, config, { now: other.clock.now });
        for (const services of [s, locked]) {
          const a = await createLead(services, 'Same@Guard.example', {
            partition: 'P1',
            foreignId: 'F-1',
          });
          const b = await createLead(services, 'same@guard.example', { partition: 'P2' });
          await createLead(services, 'same@guard.example');
          const run = (input: LeadInput) => services.leads.sync(input, { path: web });
          // By email (the latest holder), with a reason; by id, a re-subscribe and a field;
          // by foreign id; a field alone; the address in another case (the same key).
          await run({
            email: 'same@guard.example',
            attributes: [flag(true), { name: 'UnsubscribedReason', value: 'asked' }],
          });
          await run({ id: a, attributes: [flag(false), { name: 'FirstName', value: 'Ann' }] });
          await run({ foreignSysPersonId: 'F-1', attributes: [flag(true)] });
          await run({ id: b, attributes: [{ name: 'FirstName', value: 'Bob' }] });
          await run({ id: a, email: 'SAME@guard.example' });
          await run({ email: 'same@guard.example', attributes: [flag(false)] });
        }
        expect(lockedTx.steps).to.equal(0);
        expect(units()).to.deep.equal({ steps: 6, stale: 0, locked: 3 });
        expect(await snapshot(h.db)).to.deep.equal(await snapshot(other.db));
        await expectNoViolations(h.services);
      } finally {
        await other.drop();
      }
    });

    it('a person changed between the read and the write: the locked path, nothing twice', async () => {
      const a = await createLead(s, 'changed@guard.example');
      const b = await createLead(s, 'changed@guard.example');
      units();
      tx.afterRead = () =>
        h.services.leads.sync(
          { id: a, attributes: [{ name: 'FirstName', value: 'Meanwhile' }] },
          { path: web },
        );
      const result = await sync({ id: a, attributes: [flag(true)] });
      expect(result.lead.unsubscribed).to.equal(true);
      expect(result.lead.attributes?.find((x) => x.name === 'FirstName')?.value).to.equal(
        'Meanwhile',
      );
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      expect([await flagOf(a), await flagOf(b)]).to.deep.equal([true, true]);
      expect(await count('email_status_history')).to.equal(1);
      expect(await count('activity_log', { attribute_name: 'Unsubscribed' })).to.equal(2);
    });

    it('a person moved to another address meanwhile: the locked path unsubscribes the new one', async () => {
      const a = await createLead(s, 'old@guard.example');
      const left = await createLead(s, 'old@guard.example');
      const other = await createLead(s, 'new@guard.example');
      units();
      tx.afterRead = () => h.services.leads.changeEmail(a, 'new@guard.example', web);
      const result = await sync({ id: a, attributes: [flag(true)] });
      expect(result.lead.email).to.equal('new@guard.example');
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      // The address it holds now is unsubscribed, with its other holder; the old one is not.
      expect([await flagOf(a), await flagOf(other), await flagOf(left)]).to.deep.equal([
        true,
        true,
        false,
      ]);
      const statuses = (await h.db.knex('email_status').orderBy('email_key')) as Array<{
        email_key: string;
        unsubscribed: unknown;
      }>;
      expect(statuses.map((r) => [r.email_key, Boolean(Number(r.unsubscribed))])).to.deep.equal([
        ['new@guard.example', true],
      ]);
      expect(await count('email_status_history')).to.equal(1);
    });

    it('tells its listener how each change planned on a read ended (the metrics count them)', async () => {
      const told: string[] = [];
      const onCheckedWrite = (kind: string, outcome: string) => told.push(`${kind} ${outcome}`);
      const listened = createDomainServices(tx, config, { now: h.clock.now, onCheckedWrite });
      const a = await createLead(listened, 'told@guard.example');
      // A create is not planned on a read: nothing told.
      expect(told).to.deep.equal([]);
      await listened.leads.sync({ id: a, attributes: [flag(true)] }, { path: web });
      tx.afterRead = () =>
        h.services.leads.sync(
          { id: a, attributes: [{ name: 'FirstName', value: 'Meanwhile' }] },
          { path: web },
        );
      await listened.leads.sync({ id: a, attributes: [flag(false)] }, { path: web });
      // A batch, through the store itself (it reads the batch outside the transaction).
      const batches = createDomainServices(new UnitOfWork(h.db), config, {
        now: h.clock.now,
        onCheckedWrite,
      });
      const answers = await batches.leads.syncMany(
        [{ id: a, attributes: [{ name: 'FirstName', value: 'Batch' }] }],
        { path: web },
      );
      expect(answers).to.deep.equal([{ leadId: a, status: 'UPDATED' }]);
      // A batch is read outside only on a SQLite file.
      expect(told).to.deep.equal([
        'syncLead written',
        'syncLead locked',
        ...(engine.name === 'sqlite' ? ['syncMultipleLeads written'] : []),
      ]);
    });

    it('a newer holder of the address appears: the change goes to it, as the locked path decides', async () => {
      const a = await createLead(s, 'newer@guard.example');
      units();
      let c = 0;
      tx.afterRead = async () => (c = await createLead(h.services, 'newer@guard.example'));
      const result = await sync({ email: 'newer@guard.example', attributes: [flag(true)] });
      expect(result.leadId).to.equal(c);
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      const status = (await h.db.knex('email_status').first()) as { lead_id: unknown };
      expect(Number(status.lead_id)).to.equal(c);
      // The newer holder's own change, and the first one following it.
      const own = await h.db
        .knex('activity_log')
        .where({ attribute_name: 'Unsubscribed' })
        .orderBy('id');
      expect(
        own.map((r: { lead_id: unknown; cause_lead_id: unknown }) => [
          Number(r.lead_id),
          r.cause_lead_id === null ? null : Number(r.cause_lead_id),
        ]),
      ).to.deep.equal([
        [a, c],
        [c, null],
      ]);
      expect(await count('email_status_history')).to.equal(1);
    });

    it('the person is deleted meanwhile: by id it is not found, and nothing is written', async () => {
      const a = await createLead(s, 'gone@guard.example');
      units();
      tx.afterRead = () => h.services.leads.delete({ keyType: 'IDNUM', keyValue: String(a) }, web);
      await expectAppError(sync({ id: a, attributes: [flag(true)] }), ErrorCode.LEAD_NOT_FOUND);
      expect(await count('email_status')).to.equal(0);
      expect(await count('email_status_history')).to.equal(0);
      expect(await count('activity_log', { attribute_name: 'Unsubscribed' })).to.equal(0);
    });

    it('the latest holder is deleted meanwhile: by email the change goes to the one left', async () => {
      const a = await createLead(s, 'left@guard.example');
      const b = await createLead(s, 'left@guard.example');
      units();
      tx.afterRead = () => h.services.leads.delete({ keyType: 'IDNUM', keyValue: String(b) }, web);
      const result = await sync({ email: 'left@guard.example', attributes: [flag(true)] });
      expect(result.leadId).to.equal(a);
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      expect(await flagOf(a)).to.equal(true);
      expect(await count('email_status_history')).to.equal(1);
    });

    it("a re-subscribe whose address's status changed meanwhile lifts the status as it then is", async () => {
      const a = await createLead(s, 'lift@guard.example', { unsubscribed: true });
      units();
      // Only the status row changes (no person follows): what a re-subscribe lifts.
      tx.afterRead = () =>
        h.db.knex('email_status').update({ reason: 'changed meanwhile', changed_at: 12345 });
      await sync({ id: a, attributes: [flag(false)] });
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      const last = (await h.db.knex('email_status_history').orderBy('id', 'desc').first()) as {
        lifted_reason: string;
        lifted_at: unknown;
      };
      expect([last.lifted_reason, Number(last.lifted_at)]).to.deep.equal([
        'changed meanwhile',
        12345,
      ]);
      expect(await flagOf(a)).to.equal(false);
    });

    it('an opt-out of an address a Salesforce record of which was reported opted out meanwhile is recorded', async () => {
      const a = await createLead(s, 'marked@guard.example', { unsubscribed: true });
      units();
      // The mark a Salesforce record's opt-out sets, committed after the plain read: the opt-out
      // read nothing to record, and must record it after all (a late untick compares with it).
      tx.afterRead = () => h.db.knex('email_status').update({ opt_outs_recorded_since: 0 });
      await sync({ id: a, attributes: [flag(true), { name: 'FirstName', value: 'Ann' }] });
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      expect(await count('email_status_history')).to.equal(2);
      expect(await flagOf(a)).to.equal(true);
    });

    /** An opt-out kept under `joined` (email_status_joined), the spelling without a row of its own. */
    const keep = (joined: string) =>
      h.db.knex('email_status_joined').insert({
        joined_key: joined,
        unsubscribed: true,
        reason: 'asked by letter',
        source: 'Web service API',
        lead_id: null,
        changed_at: 100,
        recorded_at: 100,
      });

    it('a re-subscribe at a spelling whose only status is a kept opt-out is written as one checked step', async () => {
      await keep('kept@gussard.example');
      const a = await createLead(s, 'kept@gu\u00dfard.example');
      const b = await createLead(s, 'kept@gu\u00dfard.example');
      expect([await flagOf(a), await flagOf(b)]).to.deep.equal([true, true]);
      units();
      await sync({ id: a, attributes: [flag(false)] });
      expect(units()).to.deep.equal({ steps: 1, stale: 0, locked: 0 });
      expect([await flagOf(a), await flagOf(b)]).to.deep.equal([false, false]);
      const own = await h.services.durableStatus.explain('kept@gu\u00dfard.example');
      expect(own.status).to.include({ unsubscribed: false });
      expect(own.keptUnder).to.equal(null);
      expect(await count('email_status_joined')).to.equal(1);
      expect(
        await count('activity_log', { attribute_name: 'Unsubscribed', new_value: 'false' }),
      ).to.equal(2);
    });

    it('a status of its own written meanwhile at that spelling sends the re-subscribe the locked way', async () => {
      await keep('late@gussard.example');
      const a = await createLead(s, 'late@gu\u00dfard.example');
      units();
      // A complaint recorded at the spelling after the plain read: the kept opt-out no longer
      // stands for it, and the complaint may not be lifted by the web service.
      tx.afterRead = () =>
        h.services.suppressions.import(
          (async function* () {
            yield { line: 2, email: 'late@gu\u00dfard.example', reason: 'complaint' };
          })(),
        );
      const lifted = await sync({
        email: 'late@gu\u00dfard.example',
        attributes: [flag(false)],
      }).then(
        () => null,
        (error: { code?: string }) => error.code,
      );
      expect(lifted).to.equal(ErrorCode.LEAD_SYNC_FAILED);
      expect(units()).to.deep.equal({ steps: 1, stale: 1, locked: 1 });
      expect(await flagOf(a)).to.equal(true);
      const own = await h.services.durableStatus.explain('late@gu\u00dfard.example');
      expect(own.status).to.include({ unsubscribed: true, reason: 'complaint' });
    });

    it('many syncs of one address in flight at once end consistent', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await createLead(s, 'many@guard.example'));
      units();
      const calls = Array.from({ length: 24 }, (_, i) =>
        sync(
          i % 3 === 0
            ? { id: ids[i % 5]!, attributes: [flag(i % 2 === 0)] }
            : { email: 'many@guard.example', attributes: [flag(i % 2 === 0)] },
        ),
      );
      const results = await Promise.all(calls);
      expect(results.every((r) => r.status === 'UPDATED')).to.equal(true);
      const seen = units();
      expect(seen.steps).to.be.greaterThan(0);
      const history = (await h.db.knex('email_status_history').orderBy('id')) as Array<{
        unsubscribed: unknown;
      }>;
      const flips = history.map((r) => Boolean(Number(r.unsubscribed)));
      // Every change flipped the address: true, false, true…
      flips.forEach((f, i) => expect(f).to.equal(i % 2 === 0));
      const master = Boolean(
        Number(
          ((await h.db.knex('email_status').first()) as { unsubscribed: unknown }).unsubscribed,
        ),
      );
      expect(master).to.equal(flips[flips.length - 1] ?? false);
      for (const id of ids) expect(await flagOf(id)).to.equal(master);
      // Each change: the person's own activity and one for each of the four who followed.
      expect(await count('activity_log', { attribute_name: 'Unsubscribed' })).to.equal(
        5 * flips.length,
      );
    });
  });
}
