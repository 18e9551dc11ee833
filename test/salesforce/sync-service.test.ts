import { expect } from 'chai';
import {
  MAX_MODSTAMP_AHEAD_MS,
  NOTIFICATION_RETENTION_MS,
} from '../../src/domain/salesforce-sync.service.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { expectAppError, openHarness, rowCounts, type Harness } from '../support/harness.js';
import { ORG_ID, leadNotification, leadRecordId } from './support.js';

for (const engine of testEngines()) {
  describe(`SalesforceSyncService (${engine.name})`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(engine);
    });
    afterEach(() => h.drop());

    it('tells applied, repeated and stale notifications apart', async () => {
      const results = await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: 'lia@example.com' }, 2000),
        leadNotification(1, 1, { Email: 'lia@example.com' }, 2000),
        leadNotification(2, 1, { Email: 'lia@old.example' }, 1000),
      ]);
      expect(results.map((r) => r.outcome)).to.deep.equal(['APPLIED', 'REPEAT', 'STALE']);
      expect(results[1]!.leadId).to.equal(results[0]!.leadId);
      expect(results[2]!.leadId).to.equal(null);
    });

    it('refuses a notification with a bad value, naming it and its record; the others apply', async () => {
      const error = await expectAppError(
        h.services.salesforce.apply(ORG_ID, [
          leadNotification(1, 1, { Email: 'mo@example.com' }),
          leadNotification(2, 2, { LastName: 'x'.repeat(256) }),
        ]),
        ErrorCode.LEAD_ATTRIBUTE_BAD,
      );
      expect(error.message).to.contain(`Notification 2, Lead ${leadRecordId(2)}`);
      const [lead] = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'mo@example.com' });
      expect(lead!.foreignSysPersonId).to.equal(leadRecordId(1));
      expect((await rowCounts(h.db)).leads).to.equal(1);
    });

    it('applies nothing of a refused opt-out older than what was applied, and records it not', async () => {
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: 'ray@example.com', Unsubscribed: 'false' }, 2000),
      ]);
      await expectAppError(
        h.services.salesforce.apply(ORG_ID, [
          leadNotification(2, 1, { Unsubscribed: 'true', LastName: 'x'.repeat(256) }, 1000),
        ]),
        ErrorCode.LEAD_ATTRIBUTE_BAD,
      );
      const [lead] = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'ray@example.com' });
      expect(lead!.unsubscribed).to.equal(false);
      const ids = (await h.db.knex('salesforce_notifications').select('notification_id')) as Array<{
        notification_id: string;
      }>;
      expect(ids.map((r) => r.notification_id)).to.deep.equal([
        leadNotification(1, 1, {}).notificationId,
      ]);
    });

    it('a refused notification (a protected suppression) does not hold back the opt-outs after it', async () => {
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: 'pat@example.com', Unsubscribed: 'true' }, 1000),
      ]);
      await h.services.durableStatus.setAddressStatus({
        address: 'pat@example.com',
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'complaint',
        confirmProtected: false,
      });
      // Salesforce's untick, made after the complaint (past SFDC_CLOCK_MARGIN_SECONDS, 60 s:
      // within it, it would count as older, and be left out): refused, the complaint protected.
      const later = h.clock.t + 90000;
      const message = [
        leadNotification(2, 1, { Unsubscribed: 'false' }, later),
        leadNotification(3, 2, { Email: 'quinn@example.com', Unsubscribed: 'true' }, later),
      ];
      const flags = async (email: string) =>
        (await h.services.leads.find({ keyType: 'EMAIL', keyValue: email })).map(
          (l) => l.unsubscribed,
        );
      // The refusal is still the answer (Salesforce shows it), every time it is retried...
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await expectAppError(
          h.services.salesforce.apply(ORG_ID, message),
          ErrorCode.LEAD_SYNC_FAILED,
        );
        expect(error.message).to.contain('PROTECTED_REASONS');
        // ...but the opt-out after it is applied, once.
        expect(await flags('quinn@example.com')).to.deep.equal([true]);
        expect(await flags('pat@example.com')).to.deep.equal([true]);
      }
      const history = (await h.services.durableStatus.explain('quinn@example.com')).history;
      expect(history).to.have.length(1);
    });

    it('a re-subscribe made in Salesforce before a newer opt-out here (delivered late) does not lift it', async () => {
      const flags = async (email: string) =>
        (await h.services.leads.find({ keyType: 'EMAIL', keyValue: email })).map(
          (l) => l.unsubscribed,
        );
      let n = 10;
      // [address, record, untick's modstamp after the link's opt-out, flag expected at the end]
      for (const [email, record, untickAfterLink, expected] of [
        ['sam@example.com', 7, false, true],
        ['tia@example.com', 8, true, false],
      ] as const) {
        const t0 = h.clock.t;
        await h.services.salesforce.apply(ORG_ID, [
          leadNotification(++n, record, { Email: email, Unsubscribed: 'true' }, t0 - 60000),
        ]);
        h.clock.set(t0 + 1000);
        await h.services.durableStatus.setAddressStatus({
          address: email,
          unsubscribed: false,
          path: ChangePaths.addressStatus('alice'),
          reason: 'asked to hear again',
          confirmProtected: false,
        });
        // The person's own opt-out by link at t0 + 3 s...
        h.clock.set(t0 + 3000);
        await h.services.links.unsubscribe({ email, linkId: '0123456789abcdef', list: null });
        // ...then Salesforce's untick, delivered two minutes late, made before it or after it
        // (past SFDC_CLOCK_MARGIN_SECONDS, 60 s: within it, it counts as made before).
        h.clock.set(t0 + 120000);
        const untick = leadNotification(
          ++n,
          record,
          { Unsubscribed: 'false', FirstName: 'Sam' },
          0,
        );
        untick.record = { ...untick.record, changedAt: t0 + (untickAfterLink ? 70000 : 2000) };
        const [result] = await h.services.salesforce.apply(ORG_ID, [untick]);
        expect(result!.outcome).to.equal('APPLIED');
        expect(await flags(email), email).to.deep.equal([expected]);
        // The other fields of the late notification are applied either way.
        const [lead] = await h.services.leads.find({ keyType: 'EMAIL', keyValue: email });
        expect(lead!.attributes.find((a) => a.name === 'FirstName')?.value).to.equal('Sam');
        h.clock.set(t0 + 180000);
      }
    });

    it('a record Salesforce holds opted out keeps its opt-out when its Email changes', async () => {
      const t0 = h.clock.t;
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(21, 9, { Email: 'uma@a.example', Unsubscribed: 'true' }, t0 - 60000),
      ]);
      // Only the address changed in Salesforce; the box stays ticked.
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(22, 9, { Email: 'uma@b.example', Unsubscribed: 'true' }, t0 - 30000),
      ]);
      const [lead] = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'uma@b.example' });
      expect(lead!.unsubscribed).to.equal(true);
      const status = (await h.services.durableStatus.explain('uma@b.example')).status;
      expect(status?.unsubscribed).to.equal(true);
      // The old address keeps its status (rule 5).
      expect(
        (await h.services.durableStatus.explain('uma@a.example')).status?.unsubscribed,
      ).to.equal(true);
    });

    it(`forgets notifications after ${NOTIFICATION_RETENTION_MS / 86400000} days, and no sooner`, async () => {
      const start = h.clock.t;
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: 'ned@example.com' }, 1000),
      ]);
      h.clock.set(start + NOTIFICATION_RETENTION_MS - 1000);
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(2, 1, { Email: 'ned@example.com' }, 2000),
      ]);
      expect(await h.services.salesforce.forgetOldNotifications()).to.equal(0);
      h.clock.set(start + NOTIFICATION_RETENTION_MS + 10);
      expect(await h.services.salesforce.forgetOldNotifications()).to.equal(1);
      // Forgotten, a late retry is still judged by the record's change order.
      const [late] = await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: 'ned@example.com' }, 1000),
      ]);
      expect(late!.outcome).to.equal('STALE');
    });

    it('refuses a modstamp more than 5 minutes ahead of the clock, storing nothing of it', async () => {
      const now = h.clock.t;
      const error = await expectAppError(
        h.services.salesforce.apply(ORG_ID, [
          leadNotification(1, 1, { Email: 'ola@example.com' }, now),
          leadNotification(2, 2, { Email: 'pia@example.com' }, now + MAX_MODSTAMP_AHEAD_MS + 60000),
        ]),
        ErrorCode.BAD_PARAMETER,
      );
      expect(error.message).to.contain(leadRecordId(2)).and.to.contain('ahead');
      // The notification before it is applied; nothing of the refused one is stored.
      expect(await rowCounts(h.db)).to.deep.equal({
        leads: 1,
        activities: 1,
        emailStatus: 0,
        history: 0,
      });
      const records = (await h.db.knex('salesforce_records').select('record_id')) as Array<{
        record_id: string;
      }>;
      expect(records.map((r) => r.record_id)).to.deep.equal([leadRecordId(1)]);
      // Within the tolerance (a clock a little behind Salesforce's) is accepted.
      const [ok] = await h.services.salesforce.apply(ORG_ID, [
        leadNotification(
          3,
          3,
          { Email: 'qui@example.com' },
          h.clock.t + MAX_MODSTAMP_AHEAD_MS - 60000,
        ),
      ]);
      expect(ok!.outcome).to.equal('APPLIED');
    });

    it('applies a genuine opt-out even when a far-future change order was stored earlier', async () => {
      await h.services.salesforce.apply(ORG_ID, [
        leadNotification(1, 1, { Email: 'rio@example.com', Unsubscribed: 'false' }, h.clock.t),
      ]);
      // As a forged notification left it before such stamps were refused.
      await h.db
        .knex('salesforce_records')
        .where('record_id', leadRecordId(1))
        .update({ changed_at: Date.UTC(2099, 0, 1) });
      const [optOut] = await h.services.salesforce.apply(ORG_ID, [
        leadNotification(2, 1, { Unsubscribed: 'true' }, h.clock.t),
      ]);
      expect(optOut!.outcome).to.equal('APPLIED');
      const [lead] = await h.services.leads.find({ keyType: 'EMAIL', keyValue: 'rio@example.com' });
      expect(lead!.unsubscribed).to.equal(true);
    });
  });
}
