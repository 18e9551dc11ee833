/**
 * The Salesforce outbound listener (outbound-endpoint.test.ts) under Salesforce's delivery:
 * retried and repeated notifications, messages delivered late or out of order, and races.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { id15 } from '../../src/formats/salesforce-id.js';
import { testEngines } from '../support/database.js';
import { activitiesOf } from '../support/harness.js';
import {
  attributeOf,
  bySalesforceId,
  contactRecordId,
  everything,
  expectAck,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  notificationId,
  notificationsXml,
  ORG_ID,
  send,
  send1,
  type RunningListener,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce outbound listener: repeats and order (${engine.name})`, () => {
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    let notify: RunningListener['notify'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh, notify } = listener);
    });

    describe('retries, repeats and reordering', () => {
      it('acknowledges a repeated notification and ignores it', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        // No modstamps: only the notification id can tell a retry from a new change.
        const first = {
          id: notificationId(n),
          type: 'Lead',
          recordId,
          fields: { Email: `hal${n}@one.example` },
        };
        await send1(url, first);
        await notify('Lead', recordId, { Email: `hal${n}@two.example` });
        const before = await everything(db);
        await send1(url, first);
        expectAck(await send(url, notificationsXml([first, first])));
        expect(await everything(db)).to.deep.equal(before);
        expect((await bySalesforceId(services, recordId)).email).to.equal(`hal${n}@two.example`);
      });

      it('never lets an older message overwrite a newer change (LastModifiedDate)', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const note = (id: number, second: number, fields: Record<string, string>) => ({
          id: notificationId(id),
          type: 'Lead',
          recordId,
          fields: { ...fields, LastModifiedDate: modstampAt(second) },
        });
        await send1(
          url,
          note(n, 0, { Email: `ida${n}@zero.example`, HasOptedOutOfEmail: 'false' }),
        );
        const older = note(fresh(), 1, {
          Email: `ida${n}@one.example`,
          HasOptedOutOfEmail: 'true',
        });
        const newer = note(fresh(), 2, {
          Email: `ida${n}@two.example`,
          HasOptedOutOfEmail: 'false',
        });
        await send1(url, newer);
        const before = await everything(db);
        await send1(url, older);
        const after = (await everything(db)) as { notifications: Array<Record<string, unknown>> };
        const lead = await bySalesforceId(services, recordId);
        expect(lead.email).to.equal(`ida${n}@two.example`);
        expect(lead.unsubscribed).to.equal(false);
        // Only the bookkeeping row of the stale notification is new.
        expect({ ...after, notifications: (before as typeof after).notifications }).to.deep.equal(
          before,
        );
        expect(after.notifications.find((r) => r.notification_id === older.id)).to.include({
          outcome: 'STALE',
        });
        // A later change still applies.
        await send1(
          url,
          note(fresh(), 3, { Email: `ida${n}@two.example`, HasOptedOutOfEmail: 'true' }),
        );
        expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(true);
      });

      it("keeps another record's opt-out of the address against an older untick delivered late", async () => {
        // [the Contact's opt-out changes the master status, the Lead's untick is newer, flags]
        for (const [changesStatus, untickNewer, expected] of [
          [false, false, true],
          [true, false, true],
          [true, true, false],
        ] as const) {
          const n = fresh();
          const email = `fay${n}@example.com`;
          const recordId = leadRecordId(n);
          const label = `status changed: ${changesStatus}, untick newer: ${untickNewer}`;
          await notify(
            'Lead',
            recordId,
            { Email: email, HasOptedOutOfEmail: 'true', SystemModstamp: modstampAt(10) },
            n,
          );
          if (changesStatus)
            await services.durableStatus.setAddressStatus({
              address: email,
              unsubscribed: false,
              path: ChangePaths.addressStatus('alice'),
              reason: 'asked to hear again',
              confirmProtected: false,
            });
          // A Contact with the address is opted out in Salesforce at 10:00:30, delivered at once
          // (already unsubscribed here, it changes nothing when the status was not lifted)...
          await notify('Contact', contactRecordId(n), {
            Email: email,
            HasOptedOutOfEmail: 'true',
            SystemModstamp: modstampAt(30),
          });
          // ...then the Lead's untick, made before that opt-out (or after it), arrives late.
          await notify('Lead', recordId, {
            Email: email,
            FirstName: 'Fay',
            HasOptedOutOfEmail: 'false',
            SystemModstamp: modstampAt(untickNewer ? 40 : 20),
          });
          const people = await services.leads.find({ keyType: 'EMAIL', keyValue: email });
          expect(
            people.map((p) => p.unsubscribed),
            label,
          ).to.deep.equal([expected, expected]);
          // The late notification's other fields apply either way.
          expect(attributeOf(await bySalesforceId(services, recordId), 'FirstName')).to.equal(
            'Fay',
          );
          expect(await services.durableStatus.findViolations()).to.deep.equal([]);
        }
      });

      it('settles on the newest change when deliveries race, and applies a raced repeat once', async () => {
        const n = fresh();
        const recordId = leadRecordId(n);
        const versions = Array.from({ length: 12 }, (_, k) => ({
          id: notificationId(fresh()),
          type: 'Lead',
          recordId,
          // Only LastName varies: no address lock or lead re-read serialises these for us.
          fields: {
            Email: `kai${n}@example.com`,
            LastName: `v${k}`,
            LastModifiedDate: modstampAt(k),
          },
        }));
        // Newest first, the rest interleaved, all at once.
        const order = [11, 0, 10, 1, 9, 2, 8, 3, 7, 4, 6, 5].map((k) => versions[k]!);
        const answers = await Promise.all(order.map((v) => send(url, notificationsXml([v]))));
        answers.forEach(expectAck);
        const lead = await bySalesforceId(services, recordId);
        expect(attributeOf(lead, 'LastName')).to.equal('v11');
        const newLeads = (await activitiesOf(services, lead.id)).filter(
          (a) => a.activityType === 'New Lead',
        );
        expect(newLeads).to.have.length(1);

        const repeat = {
          id: notificationId(fresh()),
          type: 'Lead',
          recordId: leadRecordId(n + 100000),
          fields: { Email: `kai${n}@repeat.example`, HasOptedOutOfEmail: 'true' },
        };
        const repeats = await Promise.all(
          Array.from({ length: 6 }, () => send(url, notificationsXml([repeat]))),
        );
        repeats.forEach(expectAck);
        const repeated = await bySalesforceId(services, repeat.recordId);
        expect(repeated.unsubscribed).to.equal(true);
        expect(
          (await activitiesOf(services, repeated.id)).map((a) => a.activityType),
        ).to.deep.equal(['New Lead']);
        const rows = (await db
          .knex('salesforce_notifications')
          .where('notification_id', repeat.id)
          .count({ n: '*' })) as Array<{ n: number | string }>;
        expect(Number(rows[0]?.n)).to.equal(1);
      });

      it('keeps an opt-out against an untick of the same modstamp, until a later change says so', async () => {
        // Salesforce's modstamps are whole seconds: a tick and an untick in one second carry
        // the same order, and which came last cannot be told. Before, the one delivered last
        // won: the untick, sent before the tick and delivered after it, lifted the opt-out.
        const n = fresh();
        const recordId = leadRecordId(n);
        const email = `tie${n}@one.example`;
        const note = (second: number, optedOut: string, more: Record<string, string> = {}) =>
          send1(url, {
            id: notificationId(fresh()),
            type: 'Lead',
            recordId,
            fields: {
              Email: email,
              HasOptedOutOfEmail: optedOut,
              SystemModstamp: modstampAt(second),
              ...more,
            },
          });
        await note(1, 'false');
        await note(5, 'true');
        await note(5, 'false', { FirstName: 'Tied' });
        let lead = await bySalesforceId(services, recordId);
        expect(lead.unsubscribed).to.equal(true);
        expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
        // The rest of it applies.
        expect(attributeOf(lead, 'FirstName')).to.equal('Tied');
        // A later change reporting the box clear settles it: the untick was the later one.
        await note(6, 'false');
        lead = await bySalesforceId(services, recordId);
        expect(lead.unsubscribed).to.equal(false);
        // A later tick of the same second as an untick applies, as any opt-out does.
        await note(7, 'false', { FirstName: 'Again' });
        await note(7, 'true');
        expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(true);
        // A tied untick that moves the record: the opt-out goes with it to the new address.
        const moved = `tie${n}@two.example`;
        await note(7, 'false', { Email: moved });
        lead = await bySalesforceId(services, recordId);
        expect([lead.email, lead.unsubscribed]).to.deep.equal([moved, true]);
        expect((await services.durableStatus.explain(moved)).status?.unsubscribed).to.equal(true);
      });

      it('lifts an opt-out with a later untick whichever form of the organisation id each message carries', async () => {
        // SFDC_ORG_IDS takes either form of an id; the master status names the organisation as
        // the message spelt it. An opt-out named by the 15-character form was taken for another
        // path's by an untick sent with the 18-character form, and kept against it.
        const n = fresh();
        const recordId = leadRecordId(n);
        const email = `org${n}@one.example`;
        const note = (second: number, optedOut: string, orgId: string) =>
          send(
            url,
            notificationsXml(
              [
                {
                  id: notificationId(fresh()),
                  type: 'Lead',
                  recordId,
                  fields: {
                    Email: email,
                    HasOptedOutOfEmail: optedOut,
                    SystemModstamp: modstampAt(second),
                  },
                },
              ],
              { orgId },
            ),
          );
        expectAck(await note(1, 'true', id15(ORG_ID)));
        expectAck(await note(2, 'false', ORG_ID));
        expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(false);
        expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(false);
        expectAck(await note(3, 'true', ORG_ID));
        expectAck(await note(4, 'false', id15(ORG_ID)));
        expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(false);
      });

      it('orders by SystemModstamp too, whichever of the two is later', async () => {
        const n = fresh();
        const recordId = contactRecordId(n);
        const note = (id: number, fields: Record<string, string>) => ({
          id: notificationId(id),
          type: 'Contact',
          recordId,
          fields,
        });
        await send1(
          url,
          note(n, {
            LastModifiedDate: modstampAt(1),
            LastName: 'B',
            SystemModstamp: modstampAt(5),
          }),
        );
        await send1(url, note(fresh(), { LastModifiedDate: modstampAt(4), LastName: 'A' }));
        const [lead] = await services.leads.find({ keyType: 'SFDCCONTACTID', keyValue: recordId });
        expect(attributeOf(lead!, 'LastName')).to.equal('B');
      });
    });
  });
}
