/**
 * What an unsubscribe or re-subscribe leaves in the log of the people who follow it (rule 2),
 * whichever path wrote it: each follower exactly one Change Data Value with the propagation's
 * reason, its attributes in the spec's order, who caused it; the change stream gives the
 * followers' activities in the order of their ids, then the cause's own, and pages of any size
 * read the same activities with the same positions. Pins the log's observable form against any
 * change of how a propagation is stored.
 */
import { expect } from 'chai';
import type { ActivityView } from '../../src/domain/activity.service.js';
import { ChangePaths, PROPAGATED_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { pgMessagesWhile } from '../support/pg-messages.js';
import {
  activitiesOf,
  createLead,
  emailKeyOf,
  harnessPerSuite,
  type Harness,
} from '../support/harness.js';

/** People per address, in two partitions. */
const PEOPLE = 30;

/** The attributes a follower's activity shows, in the spec's order. */
const followed = (leadId: number, unsubscribed: boolean, source: string) => [
  ['Attribute Name', 'Unsubscribed'],
  ['Old Value', String(!unsubscribed)],
  ['New Value', String(unsubscribed)],
  ['Reason', PROPAGATED_REASON],
  ['Source', source],
  ['Lead ID', String(leadId)],
];

for (const engine of testEngines()) {
  describe(`the log of a propagation (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    /** PEOPLE people on `email`, every other one in a second partition; their ids ascending. */
    async function holders(email: string): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < PEOPLE; i++)
        ids.push(await createLead(s, email, i % 2 ? { partition: 'Other' } : {}));
      return ids;
    }

    /** A stream position past everything so far; the clock moved on. */
    async function streamEnd(): Promise<string> {
      h.clock.set(h.clock.t + 3_600_000);
      const page = await s.activities.changes({ oldestCreatedAt: new Date(h.clock.t + 1) });
      expect(page.returnCount).to.equal(0);
      return page.newStartPosition.offset;
    }

    /**
     * The stream after `offset` in pages of `size`: every full page's position is its last
     * activity's, and the last page says nothing remains.
     */
    async function streamFrom(offset: string, size: number): Promise<ActivityView[]> {
      const all: ActivityView[] = [];
      for (let calls = 0; calls < 1000; calls++) {
        const page = await s.activities.changes({ offset }, { batchSize: size });
        all.push(...page.activities);
        if (page.returnCount === size)
          expect(page.newStartPosition.offset).to.equal(`ID:${page.activities.at(-1)!.id}`);
        offset = page.newStartPosition.offset;
        if (page.remainingCount === 0) return all;
      }
      throw new Error('the stream did not end');
    }

    /**
     * Checks the log of one propagation: `followers` each with one activity of `source`,
     * caused by `cause` (null: nobody's own change), then `cause`'s own activity if any.
     */
    async function expectPropagationLog(
      email: string,
      start: string,
      followers: readonly number[],
      cause: number | null,
      unsubscribed: boolean,
      source: string,
      actor: string | null,
    ): Promise<void> {
      const stream = await streamFrom(start, 1000);
      // Pages of any size read the same activities.
      expect((await streamFrom(start, 7)).map((a) => a.id)).to.deep.equal(stream.map((a) => a.id));
      const ids = stream.map((a) => a.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).to.equal(ids.length);
      const own = cause === null ? [] : stream.filter((a) => a.leadId === cause);
      const theirs = stream.filter((a) => a.leadId !== cause);
      // The followers' activities first, in the order of their ids; then the cause's own.
      expect(theirs.map((a) => a.leadId)).to.deep.equal([...followers]);
      expect(stream.slice(0, theirs.length)).to.deep.equal(theirs);
      expect(own).to.have.length(cause === null ? 0 : 1);
      for (const a of theirs) {
        expect(a.activityType).to.equal('Change Data Value');
        expect(a.attributes).to.deep.equal(followed(a.leadId, unsubscribed, source));
        expect(a.causeLeadId).to.equal(cause);
        expect(a.actor).to.equal(actor);
        expect(a.createdAt.getTime()).to.equal(theirs[0]!.createdAt.getTime());
      }
      if (own[0]) {
        expect(own[0].attributes.find(([n]) => n === 'Reason')?.[1]).to.not.equal(
          PROPAGATED_REASON,
        );
        expect(own[0].causeLeadId).to.equal(null);
      }
      // Each person's own log shows the same activity, newest first.
      for (const a of theirs.slice(0, 3)) {
        const [latest] = await activitiesOf(s, a.leadId);
        expect(latest).to.deep.equal(a);
      }
      // The address's log (every holder's, newest first) is the stream read backwards.
      const byAddress: ActivityView[] = [];
      let offset: string | undefined;
      while (byAddress.length < stream.length) {
        const page = await s.activities.listForLead(emailKeyOf(email), {
          batchSize: 11,
          ...(offset ? { start: { offset } } : {}),
        });
        byAddress.push(...page.activities);
        offset = page.newStartPosition.offset;
        if (page.returnCount === 0) break;
      }
      expect(byAddress.slice(0, stream.length)).to.deep.equal([...stream].reverse());
    }

    it('syncLead by Id: each other holder one activity, then the cause’s own', async () => {
      const ids = await holders('follow-sync@example.com');
      const cause = ids[7]!;
      for (const flag of [true, false]) {
        const start = await streamEnd();
        await s.leads.sync(
          { id: cause, attributes: [{ name: 'Unsubscribed', value: String(flag) }] },
          { path: ChangePaths.webService('api-user') },
        );
        const followers = ids.filter((id) => id !== cause);
        await expectPropagationLog(
          'follow-sync@example.com',
          start,
          followers,
          cause,
          flag,
          'Web service API',
          'api-user',
        );
      }
    });

    it('syncLead by Email (the locked path): the same log', async () => {
      const ids = await holders('follow-email@example.com');
      const start = await streamEnd();
      const answer = await s.leads.sync(
        {
          email: 'follow-email@example.com',
          attributes: [{ name: 'Unsubscribed', value: 'true' }],
        },
        { path: ChangePaths.salesforce() },
      );
      const cause = answer.leadId;
      await expectPropagationLog(
        'follow-email@example.com',
        start,
        ids.filter((id) => id !== cause),
        cause,
        true,
        'Salesforce',
        null,
      );
    });

    it('an unsubscribe link: every holder follows, nobody caused it', async () => {
      const ids = await holders('follow-link@example.com');
      const start = await streamEnd();
      const result = await s.links.unsubscribe({
        email: 'follow-link@example.com',
        linkId: 'bbbbbbbbbbbbbbbb',
        list: null,
      });
      expect(result.changed).to.equal(true);
      await expectPropagationLog(
        'follow-link@example.com',
        start,
        ids,
        null,
        true,
        'Unsubscribe link',
        'link bbbbbbbbbbbbbbbb',
      );
    });

    it('syncMultipleLeads: the same log as a single syncLead', async () => {
      const ids = await holders('follow-batch@example.com');
      const cause = ids[PEOPLE - 1]!;
      const start = await streamEnd();
      const [answer] = await s.leads.syncMany(
        [{ id: cause, attributes: [{ name: 'Unsubscribed', value: 'true' }] }],
        { path: ChangePaths.webService() },
      );
      expect(answer).to.deep.include({ leadId: cause });
      await expectPropagationLog(
        'follow-batch@example.com',
        start,
        ids.filter((id) => id !== cause),
        cause,
        true,
        'Web service API',
        null,
      );
    });

    if (engine.name === 'postgres')
      it('is written in the server: what is sent does not grow with the people who follow', async () => {
        // 2 and 300 holders: the same messages, their texts of the same length but for the
        // digits of ids and times (no value per person).
        const sent: string[][] = [];
        for (const [email, n] of [
          ['grow-few@example.com', 2],
          ['grow-many@example.com', 10 * PEOPLE],
        ] as const) {
          const ids: number[] = [];
          for (let i = 0; i < n; i++) ids.push(await createLead(s, email));
          sent.push(
            await pgMessagesWhile(() =>
              s.leads.sync(
                { id: ids[0]!, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
                { path: ChangePaths.webService() },
              ),
            ),
          );
          // The last holder followed: one activity over its New Lead.
          const [latest, created] = await activitiesOf(s, ids[n - 1]!);
          expect(latest?.causeLeadId).to.equal(ids[0]);
          expect(created?.activityType).to.equal('New Lead');
        }
        const [few, many] = sent as [string[], string[]];
        expect(many.length).to.equal(few.length);
        const size = (texts: string[]) => texts.reduce((n, t) => n + t.length, 0);
        expect(Math.abs(size(many) - size(few))).to.be.below(40);
      });
  });
}
