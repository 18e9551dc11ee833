import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

// A SOAP user confined to one partition pages getMultipleLeads by LastUpdateAtSelector: its
// remainingCount counted the people of every partition changed in the window, and its
// newStreamPosition (base64url JSON) named the id and update time of the last person read,
// whatever their partition. Neither may tell it anything of people elsewhere.

const workspace = (name: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${name}</targetWorkspace></ns1:MktowsContextHeader>`;
const CREATE = (emails: readonly string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${emails
    .map((e) => `<leadRecord><Email>${e}</Email></leadRecord>`)
    .join('')}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const PAGE = (position: string, batchSize: number) =>
  `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector">` +
  `<oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>` +
  `${position ? `<streamPosition>${position}</streamPosition>` : ''}<batchSize>${batchSize}</batchSize></ns1:paramsGetMultipleLeads>`;

const tag = (body: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1] ?? '';
const leadIds = (body: string) => [...body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => Number(m[1]));
const createdIds = (body: string) =>
  [...body.matchAll(/<leadId>(\d+)<\/leadId>/g)].map((m) => Number(m[1]));
const decoded = (position: string) =>
  JSON.parse(Buffer.from(position, 'base64url').toString('utf8')) as { u?: number; i?: number };

for (const engine of testEngines()) {
  describe(`a user confined to a partition pages changes of its people only (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const EUROPE = { userId: 'europe', encryptionKey: '' };
    const europeIds: number[] = [];
    const defaultIds: number[] = [];

    before(async () => {
      service = await startTestService(engine);
      const stored = await service.running.users.create('EU team', EUROPE.userId, {
        readOnly: false,
        mayDelete: true,
        partitions: ['Europe'],
      });
      EUROPE.encryptionKey = stored.encryptionKey;
      // Default's people before, between and after Europe's, in the order of change.
      for (let round = 0; round < 3; round++) {
        const d = await rawCall(
          service.url,
          CREATE([0, 1, 2].map((n) => `d${round}${n}@example.com`)),
        );
        expect(d.status, d.body).to.equal(200);
        defaultIds.push(...createdIds(d.body));
        if (round === 2) break;
        const eu = await rawCall(service.url, CREATE([`e${round}@example.com`]), {
          extraHeaderXml: workspace('Europe'),
        });
        expect(eu.status, eu.body).to.equal(200);
        europeIds.push(...createdIds(eu.body));
      }
      expect(defaultIds).to.have.length(9);
      expect(europeIds).to.have.length(2);
      // A page serves changes stamped before its call began.
      await new Promise((r) => setTimeout(r, 20));
    });
    after(() => service?.stop());

    it('pages, counts and positions its own people only', async () => {
      const everyone = await rawCall(service.url, PAGE('', 100));
      expect(leadIds(everyone.body)).to.have.length(11);

      const seen: number[] = [];
      const remaining: string[] = [];
      let position = '';
      for (let page = 0; page < 12; page++) {
        const res = await rawCall(service.url, PAGE(position, 1), { user: EUROPE });
        expect(res.status, res.body).to.equal(200);
        expect(faultCode(res.body), res.body).to.equal(null);
        seen.push(...leadIds(res.body));
        remaining.push(tag(res.body, 'remainingCount'));
        position = tag(res.body, 'newStreamPosition');
        if (position === '') break;
        // The position names the last person of its own it was answered, nobody else.
        expect(europeIds, JSON.stringify(decoded(position))).to.include(decoded(position).i);
      }
      expect(seen).to.deep.equal(europeIds);
      // Nobody of another partition is counted as remaining.
      expect(remaining).to.deep.equal(['1', '0']);
    });

    it('answers every one of its people in one page, and no position after it', async () => {
      const res = await rawCall(service.url, PAGE('', 5), {
        user: EUROPE,
      });
      expect(leadIds(res.body)).to.deep.equal(europeIds);
      expect(tag(res.body, 'remainingCount')).to.equal('0');
      expect(tag(res.body, 'newStreamPosition')).to.equal('');
    });
  });
}
