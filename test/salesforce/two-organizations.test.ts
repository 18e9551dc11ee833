/**
 * A sandbox keeps its production's record ids: with both organisations in SFDC_ORG_IDS, a record
 * is the pair (organisation, record id). One org's reports and change order never stand for the
 * other's: its opt-out is not the other's box seen ticked (an untick through it), and its newer
 * change order does not call the other's opt-out stale. The person, found by the record id, is
 * the same.
 */
import { expect } from 'chai';
import type { SalesforceNotification } from '../../src/domain/salesforce-sync.service.js';
import { testEngines } from '../support/database.js';
import { harnessPerSuite, type Harness } from '../support/harness.js';
import { startTestService, type TestService } from '../support/service.js';
import { id15 } from '../../src/formats/salesforce-id.js';
import {
  ORG_ID,
  OTHER_ORG_ID,
  PATH_SECRET,
  attributeOf,
  bySalesforceId,
  contactRecordId,
  expectAck,
  leadNotification,
  leadRecordId,
  listenerUrl,
  modstampAt,
  notificationId,
  notificationsXml,
  send,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce: two organisations, one record id (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    let next = 0;
    /** A fresh record number, its own notification numbers following it, and its address. */
    const fresh = () => {
      next += 10;
      return { n: next, address: `same-id${next}@example.com` };
    };
    const from = (org: string, ...ns: SalesforceNotification[]) =>
      h.services.salesforce.apply(org, ns);

    const rowsOf = async (record: number) =>
      (
        (await h.db
          .knex('salesforce_records')
          .where('record_id', leadRecordId(record))
          .select('organization_id', 'changed_at', 'reported_fields')
          .orderBy('organization_id')) as Array<Record<string, unknown>>
      ).map((r) => ({
        org: r.organization_id,
        changedAt: Number(r.changed_at),
        unsubscribed: (JSON.parse(r.reported_fields as string) as Record<string, unknown>)
          .Unsubscribed,
      }));
    /** The newest order at which a record was reported opted out with the address. */
    const addressOptOut = async (address: string) =>
      (
        (await h.db.knex('salesforce_address_opt_outs').where('email_key', address)) as Array<{
          changed_at: unknown;
        }>
      ).map((r) => Number(r.changed_at));

    it("does not take one org's opt-out for the other's box seen ticked", async () => {
      const { n, address } = fresh();
      const t0 = h.clock.t;
      await from(ORG_ID, leadNotification(n, n, { Email: address, Unsubscribed: 'true' }, t0));
      // The sandbox's copy was never ticked: its first report says so, with a test edit.
      const [sandbox] = await from(
        OTHER_ORG_ID,
        leadNotification(
          n + 1,
          n,
          { Email: address, Unsubscribed: 'false', FirstName: 'Test' },
          t0 + 1000,
        ),
      );
      expect(sandbox!.outcome).to.equal('APPLIED');
      const lead = await bySalesforceId(h.services, leadRecordId(n));
      expect(lead.unsubscribed).to.equal(true);
      expect(attributeOf(lead, 'FirstName')).to.equal('Test');
      expect(await rowsOf(n)).to.deep.equal(
        [
          { org: ORG_ID, changedAt: t0, unsubscribed: 'true' },
          { org: OTHER_ORG_ID, changedAt: t0 + 1000, unsubscribed: 'false' },
        ].sort((a, b) => a.org.localeCompare(b.org)),
      );
      expect(await addressOptOut(address)).to.deep.equal([t0]);
    });

    it("applies one org's opt-out older than the other's last change of the record", async () => {
      const { n, address } = fresh();
      const t0 = h.clock.t;
      await from(
        ORG_ID,
        leadNotification(n, n, { Email: address, Unsubscribed: 'false' }, t0 + 2000),
      );
      const [optOut] = await from(
        OTHER_ORG_ID,
        leadNotification(n + 1, n, { Email: address, Unsubscribed: 'true' }, t0 + 1000),
      );
      // Acknowledged, the opt-out is applied: never called stale by the other org's order.
      expect(optOut!.outcome).to.equal('APPLIED');
      expect((await bySalesforceId(h.services, leadRecordId(n))).unsubscribed).to.equal(true);
      expect(await addressOptOut(address)).to.deep.equal([t0 + 1000]);
    });

    it("does not lift one org's opt-out with the other's older untick of the same id", async () => {
      const { n, address } = fresh();
      const t0 = h.clock.t;
      await from(ORG_ID, leadNotification(n, n, { Email: address, Unsubscribed: 'true' }, t0));
      await from(
        OTHER_ORG_ID,
        leadNotification(n + 1, n, { Email: address, Unsubscribed: 'true' }, t0 + 2000),
      );
      // The first org's untick, made before the other's opt-out, delivered after it.
      const [untick] = await from(
        ORG_ID,
        leadNotification(n + 2, n, { Email: address, Unsubscribed: 'false' }, t0 + 1000),
      );
      expect(untick!.outcome).to.equal('APPLIED');
      expect((await bySalesforceId(h.services, leadRecordId(n))).unsubscribed).to.equal(true);
      expect(await addressOptOut(address)).to.deep.equal([t0 + 2000]);
      // The other org's untick of its own opt-out, newer than every opt-out, applies.
      await from(
        OTHER_ORG_ID,
        leadNotification(n + 3, n, { Email: address, Unsubscribed: 'false' }, t0 + 3000),
      );
      expect((await bySalesforceId(h.services, leadRecordId(n))).unsubscribed).to.equal(false);
    });
  });
}

for (const engine of testEngines()) {
  describe(`Salesforce listener with a sandbox listed beside production (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine, {
        salesforceOrgIds: [ORG_ID, OTHER_ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
    });
    after(() => service?.stop());

    it("acknowledges the sandbox's unticked copy and keeps production's opt-out", async () => {
      const url = listenerUrl(service.base);
      const recordId = contactRecordId(1);
      const address = 'sandbox-copy@example.com';
      const sendAs = async (orgId: string, n: number, fields: Record<string, string>) =>
        expectAck(
          await send(
            url,
            notificationsXml([{ id: notificationId(n), type: 'Contact', recordId, fields }], {
              orgId,
            }),
          ),
        );
      await sendAs(ORG_ID, 1, {
        Email: address,
        HasOptedOutOfEmail: 'true',
        SystemModstamp: modstampAt(10),
      });
      // The sandbox names itself by its 15-character id, as an org may. Its edit is later than
      // production's opt-out reached this service (a minute ahead of the clock, within the 5
      // allowed): only the sandbox's own state can then keep it from re-subscribing.
      await sendAs(id15(OTHER_ORG_ID), 2, {
        Email: address,
        FirstName: 'Sandbox',
        HasOptedOutOfEmail: 'false',
        SystemModstamp: new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000).toISOString(),
      });
      const [person, ...more] = await service.running.services.leads.find({
        keyType: 'SFDCCONTACTID',
        keyValue: recordId,
      });
      expect(more).to.have.length(0);
      expect(person!.unsubscribed).to.equal(true);
      expect(attributeOf(person!, 'FirstName')).to.equal('Sandbox');
      const orgs = (await service.running.database
        .knex('salesforce_records')
        .where('record_id', recordId)
        .pluck('organization_id')) as string[];
      expect(orgs.sort()).to.deep.equal([ORG_ID, OTHER_ORG_ID].sort());
    });
  });
}
