/**
 * An untick delivered late must not lift a newer opt-out that another Salesforce record of
 * the address reported, also when the person holding that record is no longer at the address
 * here: deleted (rule 4: deleting people never touches the master status), or moved to another
 * address by another path while Salesforce still reports the record at this one.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import {
  bySalesforceId,
  contactRecordId,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  type RunningListener,
} from './support.js';

for (const engine of testEngines()) {
  describe(`Salesforce: another record's opt-out, its person gone from the address (${engine.name})`, function () {
    this.timeout(60000);
    let services: Services;
    let fresh: RunningListener['fresh'];
    let notify: RunningListener['notify'];
    listenerPerSuite(engine, (listener) => {
      ({ services, fresh, notify } = listener);
    });

    const gone: Array<[string, (services: Services, contactId: string) => Promise<unknown>]> = [
      [
        'deleted here',
        (s, contactId) =>
          s.leads.delete(
            { keyType: 'SFDCCONTACTID', keyValue: contactId },
            ChangePaths.webService(),
          ),
      ],
      [
        'moved here to another address',
        (s, contactId) =>
          s.leads.sync(
            {
              foreignSysPersonId: contactId,
              foreignSysType: 'SFDC',
              email: `elsewhere-${contactId}@example.com`,
            },
            { path: ChangePaths.webService() },
          ),
      ],
    ];
    for (const [how, remove] of gone) {
      it(`keeps a Contact's newer opt-out against a Lead's older untick, the Contact's person ${how}`, async () => {
        const n = fresh();
        const email = `gone${n}@example.com`;
        const leadId = leadRecordId(n);
        const contactId = contactRecordId(n);
        // The Lead is opted out at 10:00:10, the Contact with the same address at 10:00:30.
        await notify('Lead', leadId, {
          Email: email,
          HasOptedOutOfEmail: 'true',
          SystemModstamp: modstampAt(10),
        });
        await notify('Contact', contactId, {
          Email: email,
          HasOptedOutOfEmail: 'true',
          SystemModstamp: modstampAt(30),
        });
        await remove(services, contactId);
        // The Lead's untick of 10:00:20, made before the Contact's opt-out, arrives late.
        await notify('Lead', leadId, {
          Email: email,
          HasOptedOutOfEmail: 'false',
          SystemModstamp: modstampAt(20),
        });
        expect((await bySalesforceId(services, leadId)).unsubscribed).to.equal(true);
        expect(await services.durableStatus.findViolations()).to.deep.equal([]);
      });
    }
  });
}
