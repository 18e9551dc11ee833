import { expect } from 'chai';
import { PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { activitiesOf, attr, getLead } from '../support/harness.js';
import {
  getLeadByEmailXml,
  rawCall,
  startTestService,
  type TestService,
} from '../support/service.js';
import {
  ORG_ID,
  PATH_SECRET,
  contactRecordId,
  leadRecordId,
  listenerUrl,
  notificationId,
  send1,
  type SampleNotification,
} from './support.js';

/** The leadRecord elements of a getLead answer: Id, Email and the Unsubscribed attribute. */
function leadRecords(body: string): Array<{ id: number; email: string; unsubscribed: string }> {
  return [...body.matchAll(/<leadRecord>(.*?)<\/leadRecord>/g)].map(([, xml]) => ({
    id: Number(/<Id>(\d+)<\/Id>/.exec(xml!)?.[1]),
    email: /<Email>([^<]*)<\/Email>/.exec(xml!)?.[1] ?? '',
    unsubscribed:
      /<attrName>Unsubscribed<\/attrName><attrType>boolean<\/attrType><attrValue>(\w+)<\/attrValue>/.exec(
        xml!,
      )?.[1] ?? '',
  }));
}

for (const engine of testEngines()) {
  describe(`worked example, half through mktows and half through Salesforce (${engine.name})`, () => {
    let service: TestService;
    let services: Services;
    let outbound: string;
    let notification = 0;
    const salesforce = (n: Omit<SampleNotification, 'id'>) =>
      send1(outbound, { ...n, id: notificationId(++notification) });
    const mktows = async (body: string, workspace?: string) => {
      const res = await rawCall(service.url, body, {
        extraHeaderXml: workspace
          ? `<ns1:MktowsContextHeader><targetWorkspace>${workspace}</targetWorkspace></ns1:MktowsContextHeader>`
          : '',
      });
      expect(res.status, res.body).to.equal(200);
      return res.body;
    };
    const reasonOf = async (leadId: number) =>
      attr((await activitiesOf(services, leadId))[0], 'Reason');

    before(async () => {
      service = await startTestService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
      services = service.running.services;
      outbound = listenerUrl(service.base);
    });
    after(() => service.stop());

    it('keeps the unsubscribe through delete, re-create and address changes', async () => {
      const leadA = leadRecordId(1);
      const contactC = contactRecordId(3);

      // 1. A arrives from Salesforce (Default partition); B through mktows, in East.
      await salesforce({
        type: 'Lead',
        recordId: leadA,
        fields: { Email: 'ann@example.com', HasOptedOutOfEmail: 'false', LastName: 'A' },
      });
      const [a] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: leadA });
      const created = await mktows(
        '<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>ANN@Example.com </Email></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>',
        'East',
      );
      const bId = Number(/<leadId>(\d+)<\/leadId><status>CREATED<\/status>/.exec(created)?.[1]);
      expect(a?.partition).to.equal('Default');
      expect((await getLead(services, bId)).partition).to.equal('East');
      expect((await services.durableStatus.explain('ann@example.com')).status).to.equal(null);

      // 2. A unsubscribes in Salesforce: A and B unsubscribed, the address too.
      await salesforce({
        type: 'Lead',
        recordId: leadA,
        fields: { Email: 'ann@example.com', HasOptedOutOfEmail: 'true', LastName: 'A' },
      });
      expect((await getLead(services, a!.id)).unsubscribed).to.equal(true);
      expect((await getLead(services, bId)).unsubscribed).to.equal(true);
      expect((await services.durableStatus.explain('ann@example.com')).status).to.include({
        unsubscribed: true,
      });
      expect(await reasonOf(a!.id)).to.equal('Salesforce sync');
      expect(await reasonOf(bId)).to.equal(PROPAGATED_REASON);

      // 3. A is deleted through mktows; C arrives from Salesforce with Email Opt Out clear.
      await mktows(
        `<ns1:paramsDeleteLead><leadKey><keyType>SFDCLEADID</keyType><keyValue>${leadA}</keyValue></leadKey></ns1:paramsDeleteLead>`,
      );
      await salesforce({
        type: 'Contact',
        recordId: contactC,
        fields: { Email: 'ann@example.com', HasOptedOutOfEmail: 'false', LastName: 'C' },
      });
      const [c] = await services.leads.find({ keyType: 'SFDCCONTACTID', keyValue: contactC });
      expect(c!.id).to.not.equal(a!.id);
      expect(c!.unsubscribed).to.equal(true);
      const cActivities = await activitiesOf(services, c!.id);
      expect(cActivities.map((x) => x.activityType)).to.deep.equal([
        'Change Data Value',
        'New Lead',
      ]);
      expect(attr(cActivities[0], 'Reason')).to.equal(RESET_REASON);

      // 4. C's address changes in Salesforce, and back.
      await salesforce({
        type: 'Contact',
        recordId: contactC,
        fields: { Email: 'carl@example.com', HasOptedOutOfEmail: 'false', LastName: 'C' },
      });
      expect((await getLead(services, c!.id)).unsubscribed).to.equal(false);
      expect((await getLead(services, bId)).unsubscribed).to.equal(true);
      await salesforce({
        type: 'Contact',
        recordId: contactC,
        fields: { Email: 'ann@example.com', HasOptedOutOfEmail: 'false', LastName: 'C' },
      });
      expect((await getLead(services, c!.id)).unsubscribed).to.equal(true);

      // 5. B re-subscribes through syncLead: B and C subscribed, the address too.
      await mktows(
        `<ns1:paramsSyncLead><leadRecord><Id>${bId}</Id><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>false</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
      );
      expect((await services.durableStatus.explain('ann@example.com')).status).to.include({
        unsubscribed: false,
      });
      expect(await reasonOf(c!.id)).to.equal(PROPAGATED_REASON);

      // 6. getLead by EMAIL finds B and C, both subscribed (the wire's boolean is 0).
      const found = await mktows(getLeadByEmailXml('Ann@EXAMPLE.com'));
      expect(leadRecords(found)).to.have.deep.members([
        { id: bId, email: 'ANN@Example.com', unsubscribed: '0' },
        { id: c!.id, email: 'ann@example.com', unsubscribed: '0' },
      ]);
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });
  });
}
