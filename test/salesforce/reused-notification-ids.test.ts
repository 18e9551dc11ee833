/**
 * One outbound message naming one notification id twice. The second of two different changes
 * under one id was found done (REPEAT) and acknowledged without being applied: an opt-out in it
 * was lost, Ack true. Such a message is now refused whole (20110), nothing of it applied, and
 * the same notification written twice is still applied once.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import {
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerPerSuite,
  notificationId,
  notificationsXml,
  send,
} from './support.js';

for (const engine of testEngines()) {
  describe(`a notification id used twice in one outbound message (${engine.name})`, function () {
    this.timeout(60000);
    let url: string;
    let services: Services;
    let db: Database;
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db } = listener);
    });

    const unsubscribed = async (recordId: string) =>
      (await services.leads.find({ keyType: 'SFDCLEADID', keyValue: recordId })).map(
        (l) => l.unsubscribed,
      );

    it('is refused whole when the two changes differ, an opt-out among them, nothing applied', async () => {
      const before = await everything(db);
      const res = await send(
        url,
        notificationsXml([
          {
            id: notificationId(1),
            type: 'Lead',
            recordId: leadRecordId(1),
            fields: { Email: 'first@example.com', HasOptedOutOfEmail: 'false' },
          },
          {
            id: notificationId(1),
            type: 'Lead',
            recordId: leadRecordId(2),
            fields: { Email: 'second@example.com', HasOptedOutOfEmail: 'true' },
          },
        ]),
      );
      expectFault(res, 'Client', 20110);
      expect(res.body).to.contain('Notification 2');
      expect(await everything(db)).to.deep.equal(before);
      // Sent as Salesforce sends them, each under its own id: both applied, the opt-out too.
      expectAck(
        await send(
          url,
          notificationsXml([
            {
              id: notificationId(1),
              type: 'Lead',
              recordId: leadRecordId(1),
              fields: { Email: 'first@example.com', HasOptedOutOfEmail: 'false' },
            },
            {
              id: notificationId(2),
              type: 'Lead',
              recordId: leadRecordId(2),
              fields: { Email: 'second@example.com', HasOptedOutOfEmail: 'true' },
            },
          ]),
        ),
      );
      expect(await unsubscribed(leadRecordId(1))).to.deep.equal([false]);
      expect(await unsubscribed(leadRecordId(2))).to.deep.equal([true]);
    });

    it('applies the same notification written twice once, and acknowledges it', async () => {
      const twice = {
        id: notificationId(3),
        type: 'Lead',
        recordId: leadRecordId(3),
        fields: { Email: 'third@example.com', HasOptedOutOfEmail: 'true' },
      };
      expectAck(await send(url, notificationsXml([twice, twice])));
      expect(await unsubscribed(leadRecordId(3))).to.deep.equal([true]);
      const rows = await db.knex('salesforce_notifications').where({
        notification_id: notificationId(3),
      });
      expect(rows).to.have.length(1);
    });
  });
}
