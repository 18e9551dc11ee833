import { expect } from 'chai';
import { Worker } from 'node:worker_threads';
import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { EmailStatusRecord, PropagationActivity } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import { createLead, expectNoViolations, type Harness } from '../support/harness.js';
import {
  outsideTransaction as pgOutsideTransaction,
  pgMessagesWhile,
} from '../support/pg-messages.js';
import { openUnitOfWork } from '../support/step-units.js';

/**
 * unsubscribeAddressOnce (a PostgreSQL function, statements on SQLite) must write exactly what
 * the general path writes (the lock, then setStatusAndPropagate): the two are pinned here, on
 * both engines, by doing the same unsubscribe both ways on two addresses held alike.
 */

const activity: PropagationActivity = {
  attributeName: 'Unsubscribed',
  reason: 'propagated',
  source: 'Unsubscribe link',
  actor: "link 'abc'\\",
  causeLeadId: null,
};

const statusOf = (key: string, leadId: number | null, at: number): EmailStatusRecord => ({
  emailKey: key,
  unsubscribed: true,
  // Quotes and a backslash: PostgreSQL gets these values written into the statement.
  reason: "Unsubscribe link, list O'Brien \\ news",
  source: 'Unsubscribe link (link abc)',
  leadId,
  changedAt: at,
});

for (const engine of testEngines()) {
  describe(`unsubscribeAddressOnce agrees with the general path (${engine.name})`, () => {
    let h: Harness;
    let uow: UnitOfWork;

    before(async () => ({ h, uow } = await openUnitOfWork(engine)));
    after(() => h.drop());

    const outsideTransaction = () => pgOutsideTransaction(h.db.knex);

    /** Everything stored about an address, without what names it (key, ids, sequence). */
    async function stored(key: string) {
      const k = h.db.knex;
      const status = await k('email_status').where('email_key', key).first();
      const history = await k('email_status_history').where('email_key', key).orderBy('id');
      const people = await k('leads').where('email_key', key).orderBy('id');
      const ids = people.map((p: { id: number }) => p.id);
      // The log in either form (propagation-log.ts).
      const activities = await k('activity_log')
        .whereIn('lead_id', ids)
        .where('activity_type', 'Change Data Value')
        .orderBy('id');
      const person = (id: unknown) => (id === null ? null : ids.indexOf(Number(id)));
      const unnamed = (row: Record<string, unknown>) => {
        // What names the address or a row differs between the two addresses by design.
        const rest = { ...row };
        for (const c of ['email_key', 'id', 'lead_id', 'cause_lead_id', 'email']) delete rest[c];
        const { lead_id, cause_lead_id } = row;
        const cause = cause_lead_id === undefined ? {} : { cause: person(cause_lead_id) };
        return { ...rest, ...cause, lead: person(lead_id) };
      };
      return {
        status: status && unnamed(status),
        history: history.map(unnamed),
        people: people.map((p: Record<string, unknown>) => Boolean(p.unsubscribed)),
        // Who changed with the status (the others keep the time they were created at).
        changed: people.map(
          (p: Record<string, unknown>) => Number(p.updated_at) === Number(status?.changed_at),
        ),
        activities: activities.map(unnamed),
      };
    }

    async function twoAddressesAlike(name: string, people: number) {
      const a = `${name}-a@once.example`;
      const b = `${name}-b@once.example`;
      for (let i = 0; i < people; i++) {
        await createLead(h.services, a);
        await createLead(h.services, b);
      }
      return [a, b] as const;
    }

    for (const [title, caused] of [
      ['no person caused it', false],
      ['a person caused it, who is left to the caller', true],
    ] as const) {
      it(`writes what the general path writes (${title})`, async () => {
        const [a, b] = await twoAddressesAlike(caused ? 'caused' : 'link', 3);
        const causeOf = async (key: string) =>
          caused ? (await uow.read((r) => r.leads.findByEmailKey(key)))[0]!.id : null;
        const causeA = await causeOf(a);
        const causeB = await causeOf(b);
        const once = await uow.write((r) =>
          r.leads.unsubscribeAddressOnce(statusOf(a, causeA, 1000), {
            ...activity,
            causeLeadId: causeA,
          }),
        );
        const general = await uow.write(async (r) => {
          await r.lockEmailKeys([b]);
          return r.setStatusAndPropagate(statusOf(b, causeB, 1000), causeB, {
            ...activity,
            causeLeadId: causeB,
          });
        });
        expect(once).to.deep.equal({ changed: true, people: general, changedAt: 1000 });
        expect(general).to.equal(caused ? 2 : 3);
        const [sa, sb] = [await stored(a), await stored(b)];
        expect(sa).to.deep.equal(sb);
        expect(sa.history).to.have.length(1);
        expect(sa.activities).to.have.length(general);
        // The caller's part: the person who caused it.
        for (const id of [causeA, causeB])
          if (id !== null) await uow.write((r) => r.leads.update(id, { unsubscribed: true }, 1000));
      });
    }

    it('on an address unsubscribed already writes nothing and says when that was', async () => {
      const [a] = await twoAddressesAlike('replay', 2);
      const first = await uow.write((r) =>
        r.leads.unsubscribeAddressOnce(statusOf(a, null, 2000), activity),
      );
      const before = await stored(a);
      const again = await uow.write((r) =>
        r.leads.unsubscribeAddressOnce(statusOf(a, null, 3000), activity),
      );
      expect(first).to.deep.equal({ changed: true, people: 2, changedAt: 2000 });
      expect(again).to.deep.equal({ changed: false, people: 0, changedAt: 2000 });
      expect(await stored(a)).to.deep.equal(before);
    });

    it('on an address re-subscribed since unsubscribes it again, people and all', async () => {
      const [a, b] = await twoAddressesAlike('again', 2);
      for (const key of [a, b]) {
        await uow.write(async (r) => {
          await r.lockEmailKeys([key]);
          await r.setStatusAndPropagate(statusOf(key, null, 4000), null, activity);
          await r.setStatusAndPropagate(
            { ...statusOf(key, null, 4001), unsubscribed: false },
            null,
            activity,
          );
        });
      }
      const once = await uow.write((r) =>
        r.leads.unsubscribeAddressOnce(statusOf(a, null, 5000), activity),
      );
      await uow.write(async (r) => {
        await r.lockEmailKeys([b]);
        await r.setStatusAndPropagate(statusOf(b, null, 5000), null, activity);
      });
      expect(once).to.deep.equal({ changed: true, people: 2, changedAt: 5000 });
      expect(await stored(a)).to.deep.equal(await stored(b));
    });

    it('lets one of many concurrent unsubscribes of an address change it', async () => {
      const [a] = await twoAddressesAlike('race', 2);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          uow.write((r) => r.leads.unsubscribeAddressOnce(statusOf(a, null, 6000 + i), activity)),
        ),
      );
      expect(results.filter((r) => r.changed)).to.have.length(1);
      expect(results.reduce((n, r) => n + r.people, 0)).to.equal(2);
      expect((await stored(a)).history).to.have.length(1);
      await expectNoViolations(h.services);
    });

    it("waits for the address's lock, as every other writer of the address does", async () => {
      const [a] = await twoAddressesAlike('locked', 1);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const order: string[] = [];
      const holder = uow.write(async (r) => {
        await r.lockEmailKeys([a]);
        // The lock is taken, at the latest, with the transaction's next statement.
        await r.emailStatus.get(a);
        locked();
        await held;
        order.push('holder done');
      });
      await lockTaken;
      const once = uow
        .write((r) => r.leads.unsubscribeAddressOnce(statusOf(a, null, 7000), activity))
        .then(() => order.push('unsubscribed'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(order).to.deep.equal([]);
      release();
      await Promise.all([holder, once]);
      expect(order).to.deep.equal(['holder done', 'unsubscribed']);
    });

    if (engine.name === 'postgres') {
      it('is one message: BEGIN, the function call and COMMIT', async () => {
        const [a] = await twoAddressesAlike('trips', 2);
        const sent = await pgMessagesWhile(() =>
          uow.write((r) => r.leads.unsubscribeAddressOnce(statusOf(a, null, 8000), activity)),
        );
        expect(sent).to.have.length(1);
        expect(sent[0]).to.match(
          /^BEGIN;.* SELECT changed, people, changed_at FROM unsubscribe_address_once\(.*\); COMMIT;$/,
        );
        expect((await stored(a)).people).to.deep.equal([true, true]);
        expect(await outsideTransaction()).to.equal(true);
      });

      it('grouped one-click steps run the call prepared, with the floor lock', async () => {
        // Steps of one turn go as one group (pg-step-group.ts); the call's form, seen before,
        // is kept prepared on the connection and sent as EXECUTE with its literals.
        const step = (key: string, at: number) =>
          uow.writeStep(
            (r) => r.leads.unsubscribeAddressOnce({ ...statusOf(key, null, at) }, activity),
            { final: true },
          );
        const first = await twoAddressesAlike('prepared-1', 1);
        await Promise.all(first.map((key) => step(key, 9600)));
        const [a, b] = await twoAddressesAlike('prepared-2', 2);
        const quoted = "o'hara?prepared\\z@once.example";
        await createLead(h.services, quoted);
        let results: unknown[] = [];
        const sent = await pgMessagesWhile(
          async () => (results = await Promise.all([a, b, quoted].map((k) => step(k, 9700)))),
        );
        expect(results).to.deep.equal([
          { changed: true, people: 2, changedAt: 9700 },
          { changed: true, people: 2, changedAt: 9700 },
          { changed: true, people: 1, changedAt: 9700 },
        ]);
        const text = sent.join('\n');
        // The call's text goes only as its prepared form ($1…), never with values written in.
        expect(text).not.to.match(/unsubscribe_address_once\((?!\$1,)/);
        expect(text.match(/ EXECUTE du_f_[0-9a-f]{24}\(/g)).to.have.length(3);
        // The floor lock, prepared with it, runs as an EXECUTE without values.
        expect(text).to.match(/ EXECUTE du_f_[0-9a-f]{24};/);
        for (const message of sent) {
          const ensuring = message.indexOf('du_ensure_prepared(');
          expect(ensuring).to.be.within(0, message.indexOf('pg_advisory_xact_lock_shared('));
        }
        for (const key of [a, b, quoted])
          expect((await stored(key)).people.every(Boolean)).to.equal(true);
        const status = await h.db.knex('email_status').where('email_key', quoted).first();
        expect(status).to.include({ email_key: quoted, reason: statusOf(quoted, null, 0).reason });
        expect(await outsideTransaction()).to.equal(true);
      });

      it('a failing call stores nothing and leaves no transaction open', async () => {
        const [a] = await twoAddressesAlike('fails', 2);
        // An activity source longer than its column: the function fails at its last write,
        // after the status, its history and the followers' flags.
        const tooLong = { ...activity, source: 'x'.repeat(300) };
        let failed = false;
        await uow
          .write((r) => r.leads.unsubscribeAddressOnce(statusOf(a, null, 9000), tooLong))
          .catch(() => (failed = true));
        expect(failed).to.equal(true);
        const after = await stored(a);
        expect(after.status).to.equal(undefined);
        expect(after.people).to.deep.equal([false, false]);
        expect(await outsideTransaction()).to.equal(true);
      });

      it('a statement after it in its transaction fails, and the unsubscribe stays', async () => {
        const [a] = await twoAddressesAlike('after', 1);
        let failed: unknown = null;
        await uow
          .write(async (r) => {
            await r.leads.unsubscribeAddressOnce(statusOf(a, null, 9500), activity);
            await r.emailStatus.get(a);
          })
          .catch((e: unknown) => (failed = e));
        expect(String(failed)).to.match(/after its transaction had ended/);
        expect((await stored(a)).people).to.deep.equal([true]);
        expect(await outsideTransaction()).to.equal(true);
      });

      it('an address holding ? and quotes is stored under its own key', async () => {
        const key = "o'neil?x\\y?@once.example";
        await createLead(h.services, key);
        const result = await uow.write((r) =>
          r.leads.unsubscribeAddressOnce(
            { ...statusOf(key, null, 9900), reason: 'why? because' },
            { ...activity, actor: 'link ?' },
          ),
        );
        expect(result).to.include({ changed: true, people: 1 });
        const status = await h.db.knex('email_status').where('email_key', key).first();
        expect(status).to.include({ email_key: key, reason: 'why? because', unsubscribed: true });
        expect(await h.db.knex('email_status').where('email_key', 'like', '%$%')).to.deep.equal([]);
      });
    }

    if (engine.name === 'sqlite') {
      it('is one message to the writer thread with BEGIN, then the COMMIT', async () => {
        const [a] = await twoAddressesAlike('messages', 2);
        const sent: Array<{ sql?: string; queued?: unknown[]; unless?: { then: unknown[] } }> = [];
        const original = Worker.prototype.postMessage;
        Worker.prototype.postMessage = function (this: Worker, message: unknown) {
          sent.push(message as (typeof sent)[number]);
          return original.call(this, message);
        };
        let result;
        try {
          result = await uow.write((r) =>
            r.leads.unsubscribeAddressOnce(statusOf(a, null, 8000), activity),
          );
        } finally {
          Worker.prototype.postMessage = original;
        }
        expect(result).to.deep.equal({ changed: true, people: 2, changedAt: 8000 });
        expect(sent).to.have.length(2);
        expect(sent[0]!.queued).to.have.length(1);
        // The check, then the status, its history, the log (the propagation's event, its
        // followers, the activities' sequence moved past them) and the people.
        expect(sent[0]!.unless!.then).to.have.length(6);
        expect(sent[1]!.sql).to.equal('COMMIT;');
      });
    }

    it('refuses anything but a plain unsubscribe', async () => {
      for (const status of [
        { ...statusOf('x@once.example', null, 1), unsubscribed: false },
        { ...statusOf('x@once.example', null, 1), liftedAt: 1, liftedReason: 'r' },
        { ...statusOf('x@once.example', null, 1), recordedAt: 2 },
      ]) {
        await uow
          .write((r) => r.leads.unsubscribeAddressOnce(status, activity))
          .then(
            () => expect.fail('should be refused'),
            (error: Error) => expect(error.message).to.match(/plain unsubscribe/),
          );
      }
    });
  });
}
