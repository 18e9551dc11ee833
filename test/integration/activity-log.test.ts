import { expect } from 'chai';
import type { ActivityView } from '../../src/domain/activity.service.js';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  emailKeyOf,
  expectAppError,
  idKey,
  setFlag,
  web,
  harnessPerSuite,
  type Harness,
} from '../support/harness.js';

const ids = (acts: readonly ActivityView[]) => acts.map((a) => a.id);

for (const engine of testEngines()) {
  describe(`activity log, change stream and status history (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    /** A position at the end of the stream, and the clock moved past everything so far. */
    async function streamEnd(): Promise<string> {
      h.clock.set(h.clock.t + 3_600_000);
      const page = await s.activities.changes({ oldestCreatedAt: new Date(h.clock.t + 1) });
      expect(page.returnCount).to.equal(0);
      return page.newStartPosition.offset;
    }

    describe('per lead', () => {
      it("writes New Lead with Source Type, Source Info, Created Date and Lead ID, the vendor's order", async () => {
        const t = Date.UTC(2026, 2, 3, 4, 5, 6);
        h.clock.set(t);
        const id = await createLead(s, 'log-new@example.com', { path: ChangePaths.salesforce() });
        const [act] = await activitiesOf(s, id);
        expect(act).to.deep.include({
          leadId: id,
          activityType: 'New Lead',
          createdAt: new Date(t),
        });
        expect(act?.attributes).to.deep.equal([
          ['Source Type', 'Salesforce sync'],
          ['Source Info', 'Salesforce'],
          ['Created Date', new Date(t).toISOString()],
          ['Lead ID', String(id)],
        ]);
      });

      it('writes Change Data Value with its attributes in the fixed order, one per field', async () => {
        const id = await createLead(s, 'log-cdv@example.com');
        await s.leads.sync(
          {
            id,
            email: 'log-cdv2@example.com',
            attributes: [
              { name: 'FirstName', value: 'Ann' },
              { name: 'LeadScore', value: '7' },
              { name: 'Unsubscribed', value: 'true' },
            ],
          },
          { path: ChangePaths.flowStep() },
        );
        const acts = await activitiesOf(s, id);
        expect(acts.map((a) => a.activityType)).to.deep.equal([
          'Change Data Value',
          'Change Data Value',
          'Change Data Value',
          'Change Data Value',
          'New Lead',
        ]);
        const byName = new Map(acts.slice(0, 4).map((a) => [attr(a, 'Attribute Name'), a]));
        const expected = (name: string, oldValue: string, newValue: string) => [
          ['Attribute Name', name],
          ['Old Value', oldValue],
          ['New Value', newValue],
          ['Reason', 'Change Data Value flow step'],
          ['Source', 'Smart campaign'],
          ['Lead ID', String(id)],
        ];
        expect(byName.get('Email Address')?.attributes).to.deep.equal(
          expected('Email Address', 'log-cdv@example.com', 'log-cdv2@example.com'),
        );
        expect(byName.get('First Name')?.attributes).to.deep.equal(
          expected('First Name', '', 'Ann'),
        );
        expect(byName.get('Lead Score')?.attributes).to.deep.equal(expected('Lead Score', '', '7'));
        expect(byName.get('Unsubscribed')?.attributes).to.deep.equal(
          expected('Unsubscribed', 'false', 'true'),
        );
      });

      it('pages newest first with an offset, counting what remains', async () => {
        const id = await createLead(s, 'log-page@example.com');
        for (const v of ['A', 'B', 'C', 'D']) {
          await s.leads.sync({ id, attributes: [{ name: 'FirstName', value: v }] }, { path: web });
        }
        const all = (await s.activities.listForLead(idKey(id))).activities;
        expect(all).to.have.length(5);
        expect(ids(all)).to.deep.equal([...ids(all)].sort((a, b) => b - a));
        expect(all.map((a) => attr(a, 'New Value'))).to.deep.equal(['D', 'C', 'B', 'A', undefined]);

        const seen: ActivityView[] = [];
        const remaining: number[] = [];
        let offset: string | undefined;
        for (let i = 0; i < 4; i++) {
          const page = await s.activities.listForLead(idKey(id), {
            batchSize: 2,
            ...(offset ? { start: { offset } } : {}),
          });
          expect(page.returnCount).to.equal(page.activities.length);
          seen.push(...page.activities);
          remaining.push(page.remainingCount);
          if (page.activities.length === 0) expect(page.newStartPosition.offset).to.equal(offset);
          offset = page.newStartPosition.offset;
        }
        expect(remaining).to.deep.equal([3, 1, 0, 0]);
        expect(ids(seen)).to.deep.equal(ids(all));
      });

      it('filters by activity type and refuses unknown types', async () => {
        const id = await createLead(s, 'log-filter@example.com');
        await setFlag(s, id, true);
        await s.leads.sync({ id, attributes: [{ name: 'City', value: 'Oslo' }] }, { path: web });
        const key = idKey(id);
        const types = async (filter: { includeTypes?: string[]; excludeTypes?: string[] }) =>
          (await s.activities.listForLead(key, { filter })).activities.map((a) => a.activityType);

        expect(await types({ includeTypes: ['NewLead'] })).to.deep.equal(['New Lead']);
        expect(await types({ excludeTypes: ['NewLead'] })).to.deep.equal([
          'Change Data Value',
          'Change Data Value',
        ]);
        expect(await types({ includeTypes: ['ChangeDataValue', 'NewLead'] })).to.have.length(3);
        expect(await types({ includeTypes: ['VisitWebpage'] })).to.deep.equal([]);
        const page = await s.activities.listForLead(key, {
          filter: { includeTypes: ['NewLead'] },
          batchSize: 1,
        });
        expect(page.remainingCount).to.equal(0);

        await expectAppError(types({ includeTypes: ['NoSuchType'] }), ErrorCode.ACTIVITY_KEY_BAD);
        await expectAppError(
          types({ excludeTypes: ['NewLead', 'Bogus'] }),
          ErrorCode.ACTIVITY_KEY_BAD,
        );
        await expectAppError(
          types({ includeTypes: ['NewLead'], excludeTypes: ['ChangeDataValue'] }),
          ErrorCode.ACTIVITY_KEY_BAD,
        );
      });

      it('refuses offsets it never issued and bad batch sizes', async () => {
        const id = await createLead(s, 'log-bad@example.com');
        // Ids are 64-bit in the store: past 2^53 - 1 no id is exact in a client's double.
        for (const offset of [
          'ID:abc',
          '12',
          'ID:-1',
          'ID:9007199254740992',
          'ID:99999999999999999',
          'ID:1 OR 1=1',
          'id:5x',
        ]) {
          await expectAppError(
            s.activities.listForLead(idKey(id), { start: { offset } }),
            ErrorCode.BAD_STREAM_POSITION,
          );
          await expectAppError(s.activities.changes({ offset }), ErrorCode.BAD_STREAM_POSITION);
        }
        // A position giving no start is as missing as none (20109), not a bad one.
        await expectAppError(s.activities.changes({}), ErrorCode.PARAMETER_REQUIRED);
        for (const batchSize of [0, -1, 1.5]) {
          await expectAppError(
            s.activities.listForLead(idKey(id), { batchSize }),
            ErrorCode.BAD_PARAMETER,
          );
        }
        await expectAppError(s.activities.listForLead(idKey(999999)), ErrorCode.LEAD_NOT_FOUND);
      });

      it('by Email, merges the activities of every lead of the address, newest first', async () => {
        const a = await createLead(s, 'log-merge@example.com');
        const b = await createLead(s, 'LOG-MERGE@example.com', { partition: 'East' });
        await setFlag(s, b, true);
        const merged = (await s.activities.listForLead(emailKeyOf('log-merge@example.com')))
          .activities;
        expect(merged.map((x) => x.leadId).sort()).to.deep.equal([a, a, b, b].sort());
        expect(ids(merged)).to.deep.equal([...ids(merged)].sort((x, y) => y - x));
        expect(
          attr(
            merged.find((x) => x.leadId === a && x.activityType !== 'New Lead'),
            'Reason',
          ),
        ).to.equal(PROPAGATED_REASON);
      });

      it('filters one lead by creation time', async () => {
        const t = h.clock.t + 3_600_000;
        h.clock.set(t);
        const id = await createLead(s, 'log-time@example.com');
        h.clock.set(t + 10_000);
        await s.leads.sync({ id, attributes: [{ name: 'City', value: 'Rome' }] }, { path: web });
        h.clock.set(t + 20_000);
        await s.leads.sync({ id, attributes: [{ name: 'City', value: 'Pisa' }] }, { path: web });
        const page = await s.activities.listForLead(idKey(id), {
          start: { oldestCreatedAt: new Date(t + 5_000), latestCreatedAt: new Date(t + 15_000) },
        });
        expect(page.activities.map((a) => attr(a, 'New Value'))).to.deep.equal(['Rome']);
      });
    });

    describe('change stream', () => {
      it('returns every lead activity after an offset, oldest first, paged', async () => {
        const offset = await streamEnd();
        const a = await createLead(s, 'stream@example.com');
        const b = await createLead(s, 'stream@example.com', { partition: 'East' });
        await setFlag(s, a, true);

        const all = await s.activities.changes({ offset });
        expect(all.returnCount).to.equal(4);
        expect(all.remainingCount).to.equal(0);
        expect(ids(all.activities)).to.deep.equal([...ids(all.activities)].sort((x, y) => x - y));
        expect(all.activities.slice(0, 2).map((x) => [x.leadId, x.activityType])).to.deep.equal([
          [a, 'New Lead'],
          [b, 'New Lead'],
        ]);
        expect(
          all.activities.slice(2).map((x) => [x.leadId, attr(x, 'Reason')]),
        ).to.have.deep.members([
          [a, 'Web service API'],
          [b, PROPAGATED_REASON],
        ]);
        expect(all.newStartPosition.offset).to.equal(`ID:${all.activities[3]?.id}`);
        expect(all.newStartPosition.activityCreatedAt).to.deep.equal(all.activities[3]?.createdAt);

        const first = await s.activities.changes({ offset }, { batchSize: 3 });
        expect([first.returnCount, first.remainingCount]).to.deep.equal([3, 1]);
        const second = await s.activities.changes(
          { offset: first.newStartPosition.offset },
          { batchSize: 3 },
        );
        expect([second.returnCount, second.remainingCount]).to.deep.equal([1, 0]);
        expect(ids([...first.activities, ...second.activities])).to.deep.equal(ids(all.activities));
        const end = await s.activities.changes({ offset: second.newStartPosition.offset });
        expect(end.returnCount).to.equal(0);
        expect(end.newStartPosition.offset).to.equal(second.newStartPosition.offset);

        const onlyChanges = await s.activities.changes(
          { offset },
          { filter: { includeTypes: ['ChangeDataValue'] } },
        );
        expect(onlyChanges.activities.map((x) => x.activityType)).to.deep.equal([
          'Change Data Value',
          'Change Data Value',
        ]);
      });

      it('starts at oldestCreatedAt and stops at latestCreatedAt', async () => {
        await streamEnd();
        const t0 = h.clock.t;
        const a = await createLead(s, 'stream-t@example.com');
        h.clock.set(t0 + 60_000);
        await s.leads.sync({ id: a, attributes: [{ name: 'City', value: 'Bern' }] }, { path: web });
        h.clock.set(t0 + 120_000);
        await s.leads.delete(idKey(a), web);

        const page = await s.activities.changes({ oldestCreatedAt: new Date(t0) });
        expect(page.activities.map((x) => x.activityType)).to.deep.equal([
          'New Lead',
          'Change Data Value',
          'Delete Lead',
        ]);
        expect(page.activities.every((x) => x.leadId === a)).to.equal(true);
        const later = await s.activities.changes({ oldestCreatedAt: new Date(t0 + 30_000) });
        expect(later.activities.map((x) => x.activityType)).to.deep.equal([
          'Change Data Value',
          'Delete Lead',
        ]);
        const window = await s.activities.changes({
          oldestCreatedAt: new Date(t0 + 30_000),
          latestCreatedAt: new Date(t0 + 90_000),
        });
        expect(window.activities.map((x) => attr(x, 'New Value'))).to.deep.equal(['Bern']);
      });

      it('a window read page by page, each newStartPosition passed back whole, stops at latestCreatedAt', async () => {
        // As a stub passes the answer's position back (the vendor's answers echo the window).
        await streamEnd();
        const t0 = h.clock.t;
        for (const [i, at] of [10_000, 20_000, 30_000, 90_000].entries()) {
          h.clock.set(t0 + at);
          await createLead(s, `stream-window${i}@example.com`);
        }
        const start = { oldestCreatedAt: new Date(t0), latestCreatedAt: new Date(t0 + 60_000) };
        let page = await s.activities.changes(start, { batchSize: 1 });
        const read = [...page.activities];
        expect(page.newStartPosition).to.deep.include(start);
        while (page.remainingCount > 0) {
          page = await s.activities.changes(page.newStartPosition, { batchSize: 1 });
          read.push(...page.activities);
        }
        expect(read.map((a) => a.createdAt.getTime() - t0)).to.deep.equal([10_000, 20_000, 30_000]);
        h.clock.set(t0 + 100_000);
      });

      it('from oldestCreatedAt misses nothing created since, even when ids and times disagree', async () => {
        // Two writers' clocks (or commit order) need not follow id order.
        await streamEnd();
        const t0 = h.clock.t;
        h.clock.set(t0 + 20_000);
        const first = await createLead(s, 'stream-skew1@example.com');
        h.clock.set(t0 + 10_000);
        const second = await createLead(s, 'stream-skew2@example.com');
        h.clock.set(t0 + 30_000);
        const third = await createLead(s, 'stream-skew3@example.com');

        const page = await s.activities.changes({ oldestCreatedAt: new Date(t0 + 10_000) });
        expect(page.activities.map((x) => x.leadId)).to.include.members([first, second, third]);
        h.clock.set(t0 + 40_000);
      });
    });

    describe('master status history', () => {
      it('grows by one entry with each change of the status, and only then', async () => {
        const address = 'history@example.com';
        const a = await createLead(s, address);
        const b = await createLead(s, 'HISTORY@example.com', { partition: 'East' });
        const lengths: number[] = [];
        const note = async () =>
          lengths.push((await s.durableStatus.explain(address)).history.length);

        await setFlag(s, a, true);
        await note();
        await setFlag(s, b, false, ChangePaths.salesforce('sync-user'));
        await note();
        await s.leads.setUnsubscribed(b, true, ChangePaths.personDetail('op'), 'asked by phone');
        await note();
        // The person's own opt-out over the operator's: recorded, nobody follows (rule 7 for people).
        await setFlag(s, a, true);
        await note();
        await setFlag(s, a, true); // rule 7: the same path again
        await note();
        await s.leads.delete(idKey(a), web); // rule 4
        await note();
        const c = await createLead(s, address); // rule 3: reset, no status change
        await s.leads.changeEmail(c, 'history-away@example.com', web);
        await s.leads.changeEmail(c, address, web);
        await note();
        await setFlag(s, c, false);
        await note();

        expect(lengths).to.deep.equal([1, 2, 3, 4, 4, 4, 4, 5]);
        const report = await s.durableStatus.explain(' History@Example.COM ');
        expect(report.emailKey).to.equal(address);
        expect(
          report.history.map((x) => [x.unsubscribed, x.leadId, x.reason, x.source]),
        ).to.deep.equal([
          [true, a, 'Web service API', 'Web service API'],
          [false, b, 'Salesforce sync', 'Salesforce (sync-user)'],
          [true, b, 'asked by phone', 'Person detail (op)'],
          [true, a, 'Web service API', 'Web service API'],
          [false, c, 'Web service API', 'Web service API'],
        ]);
        const times = report.history.map((x) => x.changedAt);
        expect(times).to.deep.equal([...times].sort((x, y) => x - y));
        const last = report.history[report.history.length - 1]!;
        expect({ ...report.status, id: last.id }).to.deep.equal(last);
        expect(report.status).to.include({ unsubscribed: false, leadId: c });
        expect(report.leads.map((l) => l.id).sort()).to.deep.equal([b, c].sort());
        expect(report.leads.every((l) => !l.unsubscribed)).to.equal(true);
        const resets = (await activitiesOf(s, c)).filter((x) => attr(x, 'Reason') === RESET_REASON);
        expect(resets.map((x) => attr(x, 'New Value'))).to.deep.equal(['true', 'false', 'true']);
      });
    });
  });
}
