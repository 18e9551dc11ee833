import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

// A SOAP user confined to one partition reads people by key: what it is answered must come from
// its partition alone. People elsewhere holding the same address took the places of its own in
// getLead's capped answer (20103 for a person it may read), and getMultipleLeads' pages counted
// them in remainingCount and named their ids in newStreamPosition.

const SHARED = 'shared@example.com';
const workspace = (name: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${name}</targetWorkspace></ns1:MktowsContextHeader>`;
const CREATE_MANY = (email: string, n: number) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${`<leadRecord><Email>${email}</Email></leadRecord>`.repeat(n)}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const GET_LEAD = `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${SHARED}</keyValue></leadKey></ns1:paramsGetLead>`;
const PAGE = (position: string) =>
  `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType>` +
  `<keyValues><stringItem>${SHARED}</stringItem></keyValues></leadSelector>` +
  `${position ? `<streamPosition>${position}</streamPosition>` : ''}<batchSize>1</batchSize></ns1:paramsGetMultipleLeads>`;

const tag = (body: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1] ?? '';
const leadIds = (body: string) => [...body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => Number(m[1]));

for (const engine of testEngines()) {
  describe(`a user confined to a partition reads by key only its people (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const EUROPE = { userId: 'europe', encryptionKey: '' };
    let europeId = 0;
    const defaultIds: number[] = [];

    before(async () => {
      service = await startTestService(engine, { getLeadMaxResults: 2 });
      const stored = await service.running.users.create('EU team', EUROPE.userId, {
        readOnly: false,
        mayDelete: true,
        partitions: ['Europe'],
      });
      EUROPE.encryptionKey = stored.encryptionKey;
      // Three people of the address in Default, then one in Europe: the most recent of them
      // all is Europe's, the lowest ids are Default's.
      const many = await rawCall(service.url, CREATE_MANY(SHARED, 3));
      expect(many.status, many.body).to.equal(200);
      defaultIds.push(...[...many.body.matchAll(/<leadId>(\d+)<\/leadId>/g)].map((m) => +m[1]!));
      const eu = await rawCall(service.url, CREATE_MANY(SHARED, 1), {
        extraHeaderXml: workspace('Europe'),
      });
      expect(eu.status, eu.body).to.equal(200);
      europeId = Number(/<leadId>(\d+)<\/leadId>/.exec(eu.body)![1]);
      // Touched last in Default: the two most recently changed holders are Default's.
      const touch = (id: number) =>
        `<ns1:paramsSyncLead><leadRecord><Id>${id}</Id><leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>Dee</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
      for (const id of defaultIds.slice(0, 2)) {
        const res = await rawCall(service.url, touch(id));
        expect(res.status, res.body).to.equal(200);
      }
    });
    after(() => service?.stop());

    it('getLead answers its own person, however many people elsewhere hold the address', async () => {
      const all = await rawCall(service.url, GET_LEAD);
      expect(leadIds(all.body), all.body).to.have.members(defaultIds.slice(0, 2));
      const res = await rawCall(service.url, GET_LEAD, { user: EUROPE });
      expect(res.status, res.body).to.equal(200);
      expect(faultCode(res.body), res.body).to.equal(null);
      expect(leadIds(res.body)).to.deep.equal([europeId]);
      expect(tag(res.body, 'count')).to.equal('1');
    });

    it('getMultipleLeads by key pages, counts and positions its own people only', async () => {
      const seen: number[] = [];
      let position = '';
      for (let page = 0; page < 5; page++) {
        const res = await rawCall(service.url, PAGE(position), { user: EUROPE });
        expect(res.status, res.body).to.equal(200);
        seen.push(...leadIds(res.body));
        // Nobody of another partition is counted as remaining.
        expect(tag(res.body, 'remainingCount'), res.body).to.equal('0');
        position = tag(res.body, 'newStreamPosition');
        if (position === '') break;
        // No position names a person of another partition.
        const named = JSON.parse(Buffer.from(position, 'base64url').toString()) as { i?: number };
        expect(defaultIds).to.not.include(named.i);
      }
      expect(seen).to.deep.equal([europeId]);
      expect(position).to.equal('');
    });
  });
}
