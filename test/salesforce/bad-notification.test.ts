/**
 * One notification whose value cannot be stored (a FirstName too long, a Phone with a control
 * character, an impossible Email, a checkbox that is no boolean, a modstamp ahead of the clock)
 * refused the whole message: every other notification of it, opt-outs included, waited until
 * Salesforce gave up after 24 hours of retries, and was lost. Now only that notification is
 * refused: the others are applied, the answer is still the fault naming it, and each retry
 * finds them done. Of the refused one, an opt-out with a sound Email is applied all the same,
 * without its bad fields. What makes the message no message is still refused whole.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  notificationId,
  notificationsXml,
  send,
  type RunningListener,
  type SampleNotification,
} from './support.js';

for (const engine of testEngines()) {
  describe(`a notification with a bad value, among others (${engine.name})`, function () {
    this.timeout(60000);
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh } = listener);
    });

    const leadOf = async (recordId: string): Promise<LeadView | undefined> => {
      try {
        const leads = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: recordId });
        expect(leads).to.have.length(1);
        return leads[0];
      } catch (error) {
        if (error instanceof AppError && error.code === ErrorCode.LEAD_NOT_FOUND) return undefined;
        throw error;
      }
    };
    const attributeOf = (lead: LeadView | undefined, name: string) =>
      lead?.attributes.find((a) => a.name === name)?.value;
    /** A Lead notification of a fresh record, its number and its address. */
    const lead = (fields: Record<string, string | null>, n = fresh()): SampleNotification => ({
      id: notificationId(n),
      type: 'Lead',
      recordId: leadRecordId(n),
      fields: { Email: `p${n}@example.com`, ...fields },
    });
    const optOut = () => lead({ HasOptedOutOfEmail: 'true', LastModifiedDate: modstampAt(1) });

    it('applies the opt-outs around it, answers its fault every retry, and applies it corrected', async () => {
      const [first, third] = [optOut(), optOut()];
      const second = lead({ FirstName: 'x'.repeat(300), HasOptedOutOfEmail: 'false' });
      const message = notificationsXml([first, second, third]);

      const res = await send(url, message);
      expectFault(res, 'Client', 20105);
      expect((await leadOf(first.recordId))?.unsubscribed).to.equal(true);
      expect((await leadOf(third.recordId))?.unsubscribed).to.equal(true);
      expect(await leadOf(second.recordId)).to.equal(undefined);
      expect(res.body).to.contain('Notification 2').and.to.contain(second.recordId);

      // Salesforce's retry: the first and third are found done, the second refused again.
      const before = await everything(db);
      const retry = await send(url, message);
      expectFault(retry, 'Client', 20105);
      expect(retry.body).to.contain('Notification 2');
      expect(await everything(db)).to.deep.equal(before);

      // Corrected in Salesforce, its retry carries the record as it is now: acknowledged.
      const corrected = { ...second, fields: { ...second.fields, FirstName: 'Xena' } };
      expectAck(await send(url, notificationsXml([first, corrected, third])));
      const applied = await leadOf(second.recordId);
      expect(attributeOf(applied, 'FirstName')).to.equal('Xena');
      expect(applied?.unsubscribed).to.equal(false);
    });

    it('applies a corrected notification under a new id; the old message stays refused', async () => {
      const n = fresh();
      const bad = lead({ Phone: '5'.repeat(300), LastModifiedDate: modstampAt(1) }, n);
      const before = optOut();
      const message = notificationsXml([before, bad]);
      expectFault(await send(url, message), 'Client', 20105);
      expect((await leadOf(before.recordId))?.unsubscribed).to.equal(true);
      expect(await leadOf(bad.recordId)).to.equal(undefined);

      const fixed = { ...bad, id: notificationId(fresh()) };
      fixed.fields = { ...bad.fields, Phone: '555 0100', LastModifiedDate: modstampAt(2) };
      expectAck(await send(url, notificationsXml([fixed])));
      expect(attributeOf(await leadOf(bad.recordId), 'Phone')).to.equal('555 0100');
      expectFault(await send(url, message), 'Client', 20105);
    });

    it('applies the opt-out of the bad notification itself, all but its bad field', async () => {
      const n = fresh();
      const bad = lead(
        {
          FirstName: 'Uma',
          Phone: '5'.repeat(300),
          HasOptedOutOfEmail: 'true',
          LastModifiedDate: modstampAt(1),
        },
        n,
      );
      const message = notificationsXml([bad]);
      const res = await send(url, message);
      expectFault(res, 'Client', 20105);
      expect(res.body).to.contain('Phone');
      const applied = await leadOf(bad.recordId);
      expect(applied?.unsubscribed).to.equal(true);
      expect(attributeOf(applied, 'FirstName')).to.equal('Uma');
      expect(attributeOf(applied, 'Phone') ?? null).to.equal(null);
      const { status } = await services.durableStatus.explain(`p${n}@example.com`);
      expect(status?.unsubscribed).to.equal(true);

      // Never recorded as handled: the retry refuses it again, changing nothing but when the
      // record was last handled.
      const rows = async () => {
        const all = (await everything(db)) as { records: Array<Record<string, unknown>> };
        for (const r of all.records) delete r.updated_at;
        return all;
      };
      const before = await rows();
      expectFault(await send(url, message), 'Client', 20105);
      expect(await rows()).to.deep.equal(before);

      // Its Phone corrected (a later modstamp), the next notification applies it.
      const fixed = { ...bad, id: notificationId(fresh()) };
      fixed.fields = { ...bad.fields, Phone: '555 0101', LastModifiedDate: modstampAt(2) };
      expectAck(await send(url, notificationsXml([fixed])));
      expect(attributeOf(await leadOf(bad.recordId), 'Phone')).to.equal('555 0101');
    });

    const nothingOfIt: Array<[string, Record<string, string | null>, number]> = [
      ['an impossible Email', { Email: 'no address', HasOptedOutOfEmail: 'true' }, 20105],
      ['a checkbox that is not a boolean', { HasOptedOutOfEmail: 'yes' }, 20110],
      [
        'a DoNotCall that is not a boolean',
        { DoNotCall: 'maybe', HasOptedOutOfEmail: 'true' },
        20110,
      ],
      [
        'a modstamp that is no date-time',
        { HasOptedOutOfEmail: 'true', SystemModstamp: 'yesterday' },
        20110,
      ],
      [
        'a modstamp ahead of the clock',
        { HasOptedOutOfEmail: 'true', SystemModstamp: '2099-01-01T00:00:00Z' },
        20110,
      ],
    ];
    for (const [what, fields, code] of nothingOfIt) {
      it(`refuses only the notification with ${what}; the others apply`, async () => {
        const [first, third] = [optOut(), optOut()];
        const second = lead(fields);
        const res = await send(url, notificationsXml([first, second, third]));
        expectFault(res, 'Client', code);
        expect((await leadOf(first.recordId))?.unsubscribed).to.equal(true);
        expect((await leadOf(third.recordId))?.unsubscribed).to.equal(true);
        // An opt-out is applied despite a bad DoNotCall; the others are not applied at all.
        const applied = await leadOf(second.recordId);
        if (what.startsWith('a DoNotCall')) expect(applied?.unsubscribed).to.equal(true);
        else expect(applied).to.equal(undefined);
        expect(res.body).to.contain(`Notification 2, Lead ${second.recordId}`);
      });
    }

    it('still refuses whole a message with a notification that is none (a bad record id)', async () => {
      const before = await everything(db);
      const broken = { ...optOut(), recordId: 'not-an-id' };
      const res = await send(url, notificationsXml([optOut(), broken, optOut()]));
      expectFault(res, 'Client', 20110);
      expect(await everything(db)).to.deep.equal(before);
    });

    it('answers the first refusal in message order', async () => {
      const res = await send(
        url,
        notificationsXml([optOut(), lead({ DoNotCall: 'perhaps' }), lead({ Email: 'no address' })]),
      );
      expectFault(res, 'Client', 20110);
      expect(res.body).to.contain('Notification 2').and.not.to.contain('Notification 3');
    });
  });
}
