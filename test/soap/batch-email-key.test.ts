/**
 * syncMultipleLeads with an Email beside another key: the vendor's page of the operation says
 * that when more than one key is present, an Email sent as a key is updated only if the
 * attribute list names it too. Talend's Marketo components send
 * Id and Email in every record. Changing an address re-derives the person's flag from the new
 * address's master status (durable-unsubscribe rule 5): an address sent only as a key must
 * not move an opted-out person to an address nobody unsubscribed. syncLead keeps its own page's
 * rule (a foreign id beats Email, whose value is then stored).
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawCall, startTestService, type TestService } from '../support/service.js';

const one = (body: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
const attr = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;
const record = (members: string, attrs = '') =>
  `<leadRecord>${members}${attrs ? `<leadAttributeList>${attrs}</leadAttributeList>` : ''}</leadRecord>`;
const batch = (...records: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.join('')}</leadRecordList></ns1:paramsSyncMultipleLeads>`;
const syncLead = (members: string, attrs = '') =>
  `<ns1:paramsSyncLead>${record(members, attrs)}<returnLead>false</returnLead></ns1:paramsSyncLead>`;
const byId = (id: number) =>
  `<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`;

for (const engine of testEngines()) {
  describe(`syncMultipleLeads: an Email beside another key (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    async function created(members: string, attrs = ''): Promise<number> {
      const r = await call(syncLead(members, attrs));
      expect(r.status, r.body).to.equal(200);
      expect(one(r.body, 'status'), r.body).to.equal('CREATED');
      return Number(one(r.body, 'leadId'));
    }

    async function stored(id: number) {
      const r = await call(byId(id));
      expect(r.status, r.body).to.equal(200);
      const value = (name: string) =>
        new RegExp(
          `<attrName>${name}</attrName><attrType>[^<]*</attrType><attrValue>([^<]*)</attrValue>`,
        ).exec(r.body)?.[1];
      return {
        email: one(r.body, 'Email'),
        unsubscribed: value('Unsubscribed'),
        firstName: value('FirstName'),
      };
    }

    async function synced(...records: string[]) {
      const r = await call(batch(...records));
      expect(r.status, r.body).to.equal(200);
      return [...r.body.matchAll(/<leadId>(\d+)<\/leadId><status>(\w+)<\/status>/g)].map((m) => [
        Number(m[1]),
        m[2],
      ]);
    }

    it('a person found by Id keeps its address, and its opt-out, whatever Email the record carries', async () => {
      const p = await created('<Email>kept@example.com</Email>', attr('Unsubscribed', '1'));
      expect(
        await synced(
          record(`<Id>${p}</Id><Email>never-seen@example.com</Email>`, attr('FirstName', 'Talend')),
        ),
      ).to.deep.equal([[p, 'UPDATED']]);
      expect(await stored(p)).to.deep.equal({
        email: 'kept@example.com',
        unsubscribed: '1',
        firstName: 'Talend',
      });
    });

    it('a person found by ForeignSysPersonId keeps its address too', async () => {
      const p = await created(
        '<Email>fid-kept@example.com</Email><ForeignSysPersonId>fid-batch-1</ForeignSysPersonId>',
      );
      expect(
        await synced(
          record(
            '<Email>fid-other@example.com</Email><ForeignSysPersonId>fid-batch-1</ForeignSysPersonId>',
            attr('FirstName', 'ByFid'),
          ),
        ),
      ).to.deep.equal([[p, 'UPDATED']]);
      expect(await stored(p)).to.include({ email: 'fid-kept@example.com', firstName: 'ByFid' });
    });

    it("an untick beside another address than the person's does not lift the person's opt-out", async () => {
      // A CRM moved the person off the address it opted out of: "subscribed" speaks of the new
      // address, which the batch does not store; applied to the person, it lifted the opt-out
      // of the old one (acknowledged in the same batch), which no record named.
      const fid = '<ForeignSysPersonId>fid-moved-off</ForeignSysPersonId>';
      const p = await created(`<Email>opted-out@example.com</Email>${fid}`);
      // A second person of the address (created apart: syncLead would find the first).
      const apart = await call(
        `<ns1:paramsSyncMultipleLeads><leadRecordList>${record('<Email>OPTED-OUT@example.com</Email>')}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
      );
      const other = Number(one(apart.body, 'leadId'));
      expect(one(apart.body, 'status'), apart.body).to.equal('CREATED');
      expect(
        await synced(
          record('<Email>opted-out@example.com</Email>', attr('Unsubscribed', '1')),
          record(`<Email>new-home@example.com</Email>${fid}`, attr('Unsubscribed', '0')),
          record(
            `<Id>${other}</Id><Email>elsewhere@example.com</Email>`,
            attr('Unsubscribed', '0'),
          ),
        ),
      ).to.deep.equal([
        [other, 'UPDATED'],
        [p, 'UPDATED'],
        [other, 'UPDATED'],
      ]);
      expect(await stored(p)).to.include({ email: 'opted-out@example.com', unsubscribed: '1' });
      expect(await stored(other)).to.include({ email: 'OPTED-OUT@example.com', unsubscribed: '1' });
      // The person's own address (any spelling) unticks it, as before; so does an opt-out.
      expect(
        await synced(
          record(`<Email>Opted-Out@Example.com</Email>${fid}`, attr('Unsubscribed', '0')),
        ),
      ).to.deep.equal([[p, 'UPDATED']]);
      expect(await stored(p)).to.include({ unsubscribed: '0' });
      expect(await stored(other)).to.include({ unsubscribed: '0' });
      expect(
        await synced(
          record(`<Email>far-away@example.com</Email>${fid}`, attr('Unsubscribed', '1')),
        ),
      ).to.deep.equal([[p, 'UPDATED']]);
      expect(await stored(other)).to.include({ unsubscribed: '1' });
    });

    it('nor the opt-out of a person without an address', async () => {
      const fid = '<ForeignSysPersonId>fid-no-address</ForeignSysPersonId>';
      const p = await created(fid, attr('Unsubscribed', '1'));
      expect(
        await synced(
          record(`<Email>somewhere@example.com</Email>${fid}`, attr('Unsubscribed', '0')),
        ),
      ).to.deep.equal([[p, 'UPDATED']]);
      expect(await stored(p)).to.include({ email: undefined, unsubscribed: '1' });
      // Named by its foreign id alone, the untick is the person's own, as before.
      expect(await synced(record(fid, attr('Unsubscribed', '0')))).to.deep.equal([[p, 'UPDATED']]);
      expect(await stored(p)).to.include({ unsubscribed: '0' });
    });

    it('an Email attribute changes the address, with the rules of an address change', async () => {
      const p = await created('<Email>moving@example.com</Email>', attr('Unsubscribed', '1'));
      expect(
        await synced(
          record(
            `<Id>${p}</Id><Email>moving@example.com</Email>`,
            attr('Email', 'moved@example.com'),
          ),
        ),
      ).to.deep.equal([[p, 'UPDATED']]);
      // A new address nobody unsubscribed: the person follows it (rule 5).
      expect(await stored(p)).to.include({ email: 'moved@example.com', unsubscribed: '0' });
    });

    it('a ForeignSysPersonId that finds nobody creates the person with the Email', async () => {
      const [answer] = await synced(
        record(
          '<Email>fid-new@example.com</Email><ForeignSysPersonId>fid-batch-new</ForeignSysPersonId>',
        ),
      );
      expect(answer![1]).to.equal('CREATED');
      expect((await stored(answer![0] as number)).email).to.equal('fid-new@example.com');
    });

    it('syncLead still updates the Email of a person its foreign id found, as its page says', async () => {
      const p = await created(
        '<Email>single-old@example.com</Email><ForeignSysPersonId>fid-single</ForeignSysPersonId>',
      );
      const r = await call(
        syncLead(
          '<Email>single-new@example.com</Email><ForeignSysPersonId>fid-single</ForeignSysPersonId>',
        ),
      );
      expect(one(r.body, 'status'), r.body).to.equal('UPDATED');
      expect((await stored(p)).email).to.equal('single-new@example.com');
    });
  });
}
