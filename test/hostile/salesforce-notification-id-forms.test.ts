import { expect } from 'chai';
import { id15 } from '../../src/formats/salesforce-id.js';
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
  type RunningListener,
} from '../salesforce/support.js';

/**
 * A notification id in its 15- and its 18-character form names one notification, as a record
 * id does in either form. The listener kept a notification id as it was spelled: two
 * notifications of one message carrying one id in the two forms, with contrary changes, passed
 * the check that refuses one id given twice with another change (the later one won), and a
 * notification acknowledged under one form and sent again under the other was applied again
 * instead of being found done.
 */
for (const engine of testEngines()) {
  describe(`Salesforce notification ids in their two forms (${engine.name})`, function () {
    this.timeout(60000);
    let listener: RunningListener;
    listenerPerSuite(engine, (l) => {
      listener = l;
    });

    /** Notification `id` of record `n`, setting its opt-out to `optedOut`. */
    const change = (id: string, n: number, optedOut: boolean) => ({
      id,
      type: 'Lead',
      recordId: leadRecordId(n),
      fields: { Email: `forms-${n}@example.com`, HasOptedOutOfEmail: String(optedOut) },
    });

    it('refuses one id in both forms with contrary changes in one message, storing nothing', async () => {
      const before = await everything(listener.db);
      const n = listener.fresh();
      const id = notificationId(n);
      for (const [first, second] of [
        [id15(id), id],
        [id, id15(id)],
      ] as const) {
        const answer = await send(
          listener.url,
          notificationsXml([change(first, n, true), change(second, n, false)]),
        );
        expectFault(answer, 'Client', 20110);
        expect(answer.body).to.contain('earlier notification of this message');
      }
      expect(await everything(listener.db)).to.deep.equal(before);
    });

    it('finds a notification sent again in its other form done, changing nothing', async () => {
      const n = listener.fresh();
      const id = notificationId(n);
      expectAck(await send(listener.url, notificationsXml([change(id15(id), n, true)])));
      const before = await everything(listener.db);
      expectAck(await send(listener.url, notificationsXml([change(id, n, true)])));
      expect(await everything(listener.db)).to.deep.equal(before);
    });
  });
}
