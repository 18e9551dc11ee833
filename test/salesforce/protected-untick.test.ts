/**
 * A record unticked in Salesforce while its address holds a protected suppression (a
 * complaint): the untick is refused (20106), and so is every later notification of the record
 * that still reports the box unticked at that address, whatever else it changes, until the box
 * is ticked again in Salesforce or an operator lifts the suppression.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import {
  attributeOf,
  bySalesforceId,
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerPerSuite,
  notificationId,
  notificationsXml,
  send,
  type RunningListener,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce: an untick of an address under a protected suppression (${engine.name})`, function () {
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh } = listener);
    });

    /** A Lead reported opted out, then its address suppressed for a complaint by an operator. */
    const complained = async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const email = `pat${n}@example.com`;
      // Modstamps after the complaint (made now), past SFDC_CLOCK_MARGIN_SECONDS (60 s: made
      // within it, an untick counts as older than the complaint, and is left out unrefused),
      // within the 5 minutes the clock allows.
      const after = (seconds: number) => new Date(Date.now() + (90 + seconds) * 1000).toISOString();
      const message = (id: number, fields: Record<string, string>) =>
        notificationsXml([{ id: notificationId(id), type: 'Lead', recordId, fields }]);
      expectAck(
        await send(
          url,
          message(fresh(), {
            Email: email,
            HasOptedOutOfEmail: 'true',
            SystemModstamp: new Date(Date.now() - 60_000).toISOString(),
          }),
        ),
      );
      await services.durableStatus.setAddressStatus({
        address: email,
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'complaint',
        confirmProtected: false,
      });
      return { recordId, email, after, message };
    };

    it('refuses the untick and every later edit still unticked; a tick again in Salesforce clears it', async () => {
      const { recordId, email, after, message } = await complained();
      const before = await everything(db);
      const untick = message(fresh(), {
        Email: email,
        HasOptedOutOfEmail: 'false',
        SystemModstamp: after(1),
      });
      expectFault(await send(url, untick), 'Client', 20106);
      // A later edit of another field, the box still unticked: the same refusal, nothing of it applied.
      const edit = message(fresh(), {
        Email: email,
        HasOptedOutOfEmail: 'false',
        Phone: '555-0100',
        SystemModstamp: after(2),
      });
      expectFault(await send(url, edit), 'Client', 20106);
      expect(await everything(db)).to.deep.equal(before);

      // Ticked again in Salesforce, as this service holds it: applied and acknowledged.
      const retick = message(fresh(), {
        Email: email,
        HasOptedOutOfEmail: 'true',
        Phone: '555-0101',
        SystemModstamp: after(3),
      });
      expectAck(await send(url, retick));
      const lead = await bySalesforceId(services, recordId);
      expect(lead.unsubscribed).to.equal(true);
      expect(attributeOf(lead, 'Phone')).to.equal('555-0101');
    });

    it('refuses an untick sent with a move to an address under a complaint, nothing of it applied', async () => {
      const { recordId, email, after, message } = await complained();
      const n = fresh();
      const moved = `moved${n}@example.com`;
      // Another address, under a complaint of its own.
      await services.durableStatus.setAddressStatus({
        address: moved,
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'complaint',
        confirmProtected: false,
      });
      const before = await everything(db);
      const res = await send(
        url,
        message(fresh(), { Email: moved, HasOptedOutOfEmail: 'false', SystemModstamp: after(1) }),
      );
      expectFault(res, 'Client', 20106);
      expect(await everything(db)).to.deep.equal(before);
      expect((await bySalesforceId(services, recordId)).email).to.equal(email);
    });

    it('applies the refused untick once an operator lifts the suppression', async () => {
      const { recordId, email, after, message } = await complained();
      const untick = message(fresh(), {
        Email: email,
        HasOptedOutOfEmail: 'false',
        Phone: '555-0102',
        SystemModstamp: after(1),
      });
      expectFault(await send(url, untick), 'Client', 20106);
      await services.durableStatus.setAddressStatus({
        address: email,
        unsubscribed: false,
        path: ChangePaths.addressStatus('alice'),
        reason: 'complaint withdrawn',
        confirmProtected: true,
      });
      // Salesforce's retry of the same message.
      expectAck(await send(url, untick));
      const lead = await bySalesforceId(services, recordId);
      expect(lead.unsubscribed).to.equal(false);
      expect(attributeOf(lead, 'Phone')).to.equal('555-0102');
    });
  });
}
