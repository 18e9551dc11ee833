/**
 * The Salesforce listener over HTTP: a notification that moves a record (a new Email) without
 * HasOptedOutOfEmail (an outbound message whose field list omits it). The record's opt-out is
 * the one Salesforce last reported (salesforce_records): a record reported opted out stays
 * opted out and takes its opt-out to the new address (rule 6), as when the box is sent ticked;
 * one reported not opted out follows rule 5 alone.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { ActivityView } from '../../src/domain/activity.service.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { activitiesOf, attr } from '../support/harness.js';
import {
  bySalesforceId,
  leadRecordId,
  listenerPerSuite,
  modstampAt,
  type RunningListener,
} from './support.js';

const OWN = new Set(['Lead ID', 'Created Date']);

/**
 * A lead's activities, oldest first, without what differs from one lead to another: its id,
 * its creation date, the name in its addresses (`name`).
 */
async function history(services: Services, leadId: number, name: string): Promise<unknown[]> {
  const shape = (a: ActivityView) => ({
    type: a.activityType,
    attributes: a.attributes
      .filter(([attribute]) => !OWN.has(attribute))
      .map(([attribute, value]) => [attribute, value.replace(name, '*')]),
  });
  return (await activitiesOf(services, leadId)).reverse().map(shape);
}

for (const engine of testEngines()) {
  describe(`Salesforce: a move without HasOptedOutOfEmail (${engine.name})`, () => {
    let services: Services;
    let fresh: RunningListener['fresh'];
    let notify: RunningListener['notify'];
    listenerPerSuite(engine, (listener) => {
      ({ services, fresh, notify } = listener);
    });

    /** A Lead record reported opted out at `old`; returns its id. */
    async function optedOutRecord(old: string): Promise<string> {
      const recordId = leadRecordId(fresh());
      await notify('Lead', recordId, {
        Email: old,
        HasOptedOutOfEmail: 'true',
        LastModifiedDate: modstampAt(1),
      });
      expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(true);
      return recordId;
    }

    it('keeps the opt-out Salesforce last reported and takes it to the new address', async () => {
      const n = fresh();
      const omitted = await optedOutRecord(`ida${n}@old.example`);
      const ticked = await optedOutRecord(`jon${n}@old.example`);
      // Only the address changed; one message carries the box (still ticked), one omits it.
      await notify('Lead', omitted, {
        Email: `ida${n}@new.example`,
        LastModifiedDate: modstampAt(2),
      });
      await notify('Lead', ticked, {
        Email: `jon${n}@new.example`,
        HasOptedOutOfEmail: 'true',
        LastModifiedDate: modstampAt(2),
      });

      const lead = await bySalesforceId(services, omitted);
      expect(lead.email).to.equal(`ida${n}@new.example`);
      expect(lead.unsubscribed).to.equal(true);
      const moved = (await services.durableStatus.explain(`ida${n}@new.example`)).status;
      expect(moved?.unsubscribed).to.equal(true);
      expect(
        (await services.durableStatus.explain(`ida${n}@old.example`)).status?.unsubscribed,
      ).to.equal(true);
      // The activity log says what it says when the box is sent ticked: the opt-out is
      // Salesforce's, applied again after the move.
      const log = await history(services, lead.id, 'ida');
      expect(log).to.deep.equal(
        await history(services, (await bySalesforceId(services, ticked)).id, 'jon'),
      );
      const [last] = await activitiesOf(services, lead.id);
      expect(attr(last, 'Attribute Name')).to.equal('Unsubscribed');
      expect(attr(last, 'New Value')).to.equal('true');
      expect(attr(last, 'Reason')).to.equal('Salesforce sync');
      expect(attr(last, 'Source')).to.equal('Salesforce');
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });

    it('a record reported not opted out moving to an unsubscribed address follows rule 5', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      const blocked = `kim${n}@blocked.example`;
      await services.leads.sync(
        { email: blocked, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: ChangePaths.webService() },
      );
      await notify(
        'Lead',
        recordId,
        {
          Email: `kim${n}@example.com`,
          HasOptedOutOfEmail: 'false',
          LastModifiedDate: modstampAt(1),
        },
        n,
      );
      expect((await bySalesforceId(services, recordId)).unsubscribed).to.equal(false);
      await notify('Lead', recordId, { Email: blocked, LastModifiedDate: modstampAt(2) });
      const lead = await bySalesforceId(services, recordId);
      expect(lead.email).to.equal(blocked);
      expect(lead.unsubscribed).to.equal(true);
      expect(attr((await activitiesOf(services, lead.id))[0], 'Reason')).to.equal(
        'System flow action sysActionChangeDataValue resetLeadEmailStatus',
      );
    });

    it('a record never reported opted out moving to a new address stays subscribed', async () => {
      const n = fresh();
      const recordId = leadRecordId(n);
      await notify('Lead', recordId, { Email: `lou${n}@example.com`, LastName: 'Lou' }, n);
      await notify('Lead', recordId, { Email: `lou${n}@new.example` });
      const lead = await bySalesforceId(services, recordId);
      expect(lead.email).to.equal(`lou${n}@new.example`);
      expect(lead.unsubscribed).to.equal(false);
    });
  });
}
