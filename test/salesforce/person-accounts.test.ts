/**
 * Person Accounts: Salesforce fires no Contact workflow or flow for a person account, only the
 * Account's, so an org with person accounts sends their opt-outs in Account notifications
 * (PersonEmail, PersonHasOptedOutOfEmail). Refused whole as an unsupported type, such a
 * message failed every retry and was dropped after 24 hours, its opt-outs lost. A business
 * account in the same message (no person: IsPersonAccount false) is skipped and acknowledged.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import { testEngines } from '../support/database.js';
import {
  bySalesforceId,
  expectAck,
  expectFault,
  listenerPerSuite,
  modstampAt,
  notificationId,
  notificationsXml,
  send,
  type RunningListener,
  type SampleNotification,
} from './support.js';

const accountRecordId = (n: number) => id18(`001${String(n).padStart(12, '0')}`);

for (const engine of testEngines()) {
  describe(`person accounts: Account notifications (${engine.name})`, function () {
    this.timeout(60000);
    let url: string;
    let services: Services;
    let db: Database;
    let fresh: RunningListener['fresh'];
    listenerPerSuite(engine, (listener) => {
      ({ url, services, db, fresh } = listener);
    });

    const account = (
      n: number,
      fields: Record<string, string | null>,
      id = fresh(),
    ): SampleNotification => ({
      id: notificationId(id),
      type: 'Account',
      recordId: accountRecordId(n),
      fields,
    });

    it("applies a person account's opt-out to everyone with its address, and its untick later", async () => {
      const n = fresh();
      const email = `pa${n}@example.com`;
      const other = await services.leads.sync(
        { email },
        { path: ChangePaths.webService(), matchByEmail: false },
      );
      const optOut = account(n, {
        FirstName: 'Pat',
        IsPersonAccount: 'true',
        LastModifiedDate: modstampAt(1),
        LastName: 'Ames',
        Name: 'Pat Ames',
        PersonEmail: email,
        PersonHasOptedOutOfEmail: 'true',
        PersonMailingCity: 'Lyon',
        PersonTitle: 'Buyer',
        SystemModstamp: modstampAt(1),
      });
      expectAck(await send(url, notificationsXml([optOut])));
      const lead = await bySalesforceId(services, accountRecordId(n));
      expect(lead).to.include({
        email,
        foreignSysPersonId: accountRecordId(n),
        foreignSysType: 'SFDC',
        unsubscribed: true,
      });
      const value = (name: string) => lead.attributes.find((a) => a.name === name)?.value;
      expect([value('FirstName'), value('LastName'), value('Title'), value('City')]).to.deep.equal([
        'Pat',
        'Ames',
        'Buyer',
        'Lyon',
      ]);
      const everyone = await services.leads.find({ keyType: 'EMAIL', keyValue: email });
      expect(everyone.map((l) => [l.id === other.leadId, l.unsubscribed])).to.deep.equal([
        [true, true],
        [false, true],
      ]);

      // Unticked later in Salesforce: lifted as a Lead's or a Contact's untick is.
      const untick = account(n, {
        IsPersonAccount: 'true',
        PersonEmail: email,
        PersonHasOptedOutOfEmail: 'false',
        SystemModstamp: modstampAt(2),
      });
      expectAck(await send(url, notificationsXml([untick])));
      expect((await bySalesforceId(services, accountRecordId(n))).unsubscribed).to.equal(false);
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });

    it('skips a business account (IsPersonAccount false) and applies the opt-out beside it', async () => {
      const business = fresh();
      const person = fresh();
      const email = `pb${person}@example.com`;
      const before = await db.knex('leads').count({ n: '*' }).first();
      const res = await send(
        url,
        notificationsXml([
          account(business, {
            IsPersonAccount: 'false',
            Name: 'Acme Corp',
            PersonEmail: null,
            PersonHasOptedOutOfEmail: 'false',
            SystemModstamp: modstampAt(1),
          }),
          account(person, {
            IsPersonAccount: 'true',
            PersonEmail: email,
            PersonHasOptedOutOfEmail: 'true',
            SystemModstamp: modstampAt(1),
          }),
        ]),
      );
      expectAck(res);
      const after = await db.knex('leads').count({ n: '*' }).first();
      expect(Number(after!.n) - Number(before!.n)).to.equal(1);
      expect((await bySalesforceId(services, accountRecordId(person))).unsubscribed).to.equal(true);
      const kept = await db
        .knex('salesforce_records')
        .where({ record_id: accountRecordId(business) });
      expect(kept).to.have.length(0);
    });

    it('applies an opt-out an Account sends with IsPersonAccount false: an opt-out is never skipped', async () => {
      const n = fresh();
      const email = `pf${n}@example.com`;
      expectAck(
        await send(
          url,
          notificationsXml([
            account(n, {
              IsPersonAccount: 'false',
              PersonEmail: email,
              PersonHasOptedOutOfEmail: 'true',
              SystemModstamp: modstampAt(1),
            }),
          ]),
        ),
      );
      const lead = await bySalesforceId(services, accountRecordId(n));
      expect(lead).to.include({ email, unsubscribed: true });
    });

    it('refuses a Lead or Contact id given as an Account, as any other mismatch', async () => {
      const n = fresh();
      const res = await send(
        url,
        notificationsXml([
          {
            id: notificationId(n),
            type: 'Account',
            recordId: id18(`003${String(n).padStart(12, '0')}`),
            fields: { PersonEmail: `pc${n}@example.com` },
          },
        ]),
      );
      expectFault(res, 'Client', 20110);
      // The fault names the object as its integrator reads it, in a sentence they can read.
      expect(res.body).to.contain('is not an id of the Account object');
    });
  });
}
