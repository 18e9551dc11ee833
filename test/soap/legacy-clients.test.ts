/**
 * What the public clients of the vendor's API send and expect, on the wire: the request
 * timestamps their libraries write (embulk-input-marketo signs Ruby's Time#to_s, pymarketo-soap
 * Python's isoformat(), a Haskell client %Q's twelve fraction digits), and the StaticListSelector
 * the vendor's stubs have (its SDK, Talend's components): a list this service does not keep is
 * the vendor's 20111, not an element it has never heard of. And listMObjects, which Talend's
 * components call to check a connection.
 */
import { expect } from 'chai';
import { requestSignature } from '../../src/mktows/auth.js';
import { testEngines } from '../support/database.js';
import {
  expectFault,
  getLeadByEmailXml,
  rawCall,
  startTestService,
  syncEmailXml,
  TEST_USER,
  type TestService,
} from '../support/service.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `at` as Ruby's Time#to_s writes it in a zone `offsetMinutes` east of UTC. */
function rubyTimeToS(at: number, offsetMinutes: number): string {
  const local = new Date(at + offsetMinutes * 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

for (const engine of testEngines()) {
  describe(`what the vendor's public clients send (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const signedAt = (timestamp: string, body = getLeadByEmailXml('quirks@example.com')) =>
      rawCall(service.url, body, {
        timestamp,
        signature: requestSignature(TEST_USER.encryptionKey, timestamp, TEST_USER.userId),
      });

    before(async () => {
      service = await startTestService(engine);
      const created = await rawCall(service.url, syncEmailXml('quirks@example.com'));
      expect(created.status, created.body).to.equal(200);
    });
    after(() => service?.stop());

    describe('requestTimestamp as client libraries write it', () => {
      const now = () => Date.now();
      const shapes: Array<[string, () => string]> = [
        ["Ruby's Time#to_s (embulk-input-marketo)", () => rubyTimeToS(now(), 9 * 60)],
        ["Ruby's Time#to_s west of UTC", () => rubyTimeToS(now(), -7 * 60)],
        ["Ruby's Time#utc.to_s", () => rubyTimeToS(now(), 0).replace(/ \+0000$/, ' UTC')],
        [
          "Python's isoformat() without an offset, in UTC (pymarketo-soap)",
          () => new Date(now()).toISOString().replace('Z', '123'),
        ],
        [
          "Haskell's %Q: twelve fraction digits",
          () => new Date(now()).toISOString().replace(/\.(\d{3})Z$/, '.$1456789012Z'),
        ],
        [
          "SimpleDateFormat's Z: an offset without its colon",
          () =>
            rubyTimeToS(now(), -8 * 60)
              .replace(' ', 'T')
              .replace(' ', ''),
        ],
      ];
      for (const [name, make] of shapes) {
        it(`accepts ${name}`, async () => {
          const res = await signedAt(make());
          expect(res.status, res.body).to.equal(200);
          expect(res.body).to.contain('<Email>quirks@example.com</Email>');
        });
      }

      it('still holds each of them to the window (20016) and its signature (20014)', async () => {
        expectFault(await signedAt(rubyTimeToS(now() - 16 * 60000, 9 * 60)), 20016);
        expectFault(
          await signedAt(new Date(now() + 16 * 60000).toISOString().replace('Z', '')),
          20016,
        );
        const ts = rubyTimeToS(now(), 9 * 60);
        const other = rubyTimeToS(now() - 1000, 9 * 60);
        expectFault(
          await rawCall(service.url, getLeadByEmailXml('quirks@example.com'), {
            timestamp: ts,
            signature: requestSignature(TEST_USER.encryptionKey, other, TEST_USER.userId),
          }),
          20014,
        );
      });

      it('refuses what names no instant (20014)', async () => {
        for (const ts of ['yesterday', '2026-02-30 10:00:00 +0000', '2026-12-02', '1733130000'])
          expectFault(await signedAt(ts), 20014);
      });
    });

    describe("the vendor's own Ruby (Savon) sample of getLeadActivity", () => {
      // Its start position is written `:"last_created_at/" => ""`: an empty lastCreatedAt, a
      // name the schema does not have, which the vendor's parser passed over.
      const SAMPLE = (startPosition: string) =>
        '<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>quirks@example.com</keyValue></leadKey>' +
        '<activityFilter><includeTypes><activityType>NewLead</activityType></includeTypes></activityFilter>' +
        `<startPosition>${startPosition}</startPosition><batchSize>10</batchSize></ns1:paramsGetLeadActivity>`;

      it('is answered: an empty element the schema does not declare carries nothing', async () => {
        const res = await rawCall(service.url, SAMPLE('<lastCreatedAt/><offset/>'));
        expect(res.status, res.body).to.equal(200);
        expect(res.body).to.contain('<returnCount>1</returnCount>');
        expect(res.body).to.contain('<activityType>New Lead</activityType>');
      });

      it('is answered with the empty element written with its end tag, as XML reads it the same', async () => {
        // Savon writes a key given "" as <lastCreatedAt></lastCreatedAt>: it was refused as
        // an unknown element while <lastCreatedAt/> passed.
        for (const empty of [
          '<lastCreatedAt></lastCreatedAt><offset></offset>',
          '<lastCreatedAt></lastCreatedAt ><offset/>',
        ]) {
          const res = await rawCall(service.url, SAMPLE(empty));
          expect(res.status, `${empty}: ${res.body}`).to.equal(200);
          expect(res.body).to.contain('<returnCount>1</returnCount>');
        }
      });

      it('an unknown element holding a value is still refused, naming it (20012)', async () => {
        for (const misspelt of [
          '<lastCreatedAt>2013-07-31T00:00:00Z</lastCreatedAt>',
          '<lastCreatedAt><offset/></lastCreatedAt>',
          '<lastCreatedAt> </lastCreatedAt>',
          '<lastCreatedAt><!-- --></lastCreatedAt>',
        ]) {
          const res = await rawCall(service.url, SAMPLE(misspelt));
          expectFault(res, 20012);
          expect(res.body).to.contain('Unknown element lastCreatedAt');
        }
      });
    });

    it('getMultipleLeads reads the first 1000 keys of a LeadKeySelector and ignores the rest, as the vendor ignored keys past its limit', async () => {
      // Talend's component puts every key its user lists in one LeadKeySelector.
      const keys = [
        'quirks@example.com',
        ...Array.from({ length: 1200 }, (_, i) => `k${i}@example.com`),
      ];
      const selector =
        '<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues>' +
        keys.map((k) => `<stringItem>${k}</stringItem>`).join('') +
        '</keyValues></leadSelector>';
      const res = await rawCall(
        service.url,
        `<ns1:paramsGetMultipleLeads>${selector}<batchSize>100</batchSize></ns1:paramsGetMultipleLeads>`,
      );
      expect(res.status, res.body).to.equal(200);
      expect(res.body).to.contain('<returnCount>1</returnCount>');
      expect(res.body).to.contain('<Email>quirks@example.com</Email>');
    });

    describe('StaticListSelector, which the vendor stubs have', () => {
      const STATIC = (members: string) =>
        `<leadSelector xsi:type="ns1:StaticListSelector">${members}</leadSelector>`;

      it('getMultipleLeads: a list this service does not keep is 20111 List Not Found, naming it', async () => {
        const res = await rawCall(
          service.url,
          `<ns1:paramsGetMultipleLeads>${STATIC('<staticListName>SMSProgram.listForTesting</staticListName>')}<batchSize>100</batchSize></ns1:paramsGetMultipleLeads>`,
        );
        expectFault(res, 20111);
        expect(res.body).to.contain('SMSProgram.listForTesting');
        expectFault(
          await rawCall(
            service.url,
            `<ns1:paramsGetMultipleLeads>${STATIC('<staticListName xsi:nil="true"/><staticListId>6926</staticListId>')}</ns1:paramsGetMultipleLeads>`,
          ),
          20111,
        );
      });

      it('getLeadChanges (mktows 2_2 on) answers the same', async () => {
        expectFault(
          await rawCall(
            service.url,
            `<ns1:paramsGetLeadChanges><startPosition><oldestCreatedAt>2013-08-01T00:00:00Z</oldestCreatedAt></startPosition>${STATIC('<staticListId>6926</staticListId>')}</ns1:paramsGetLeadChanges>`,
          ),
          20111,
        );
      });

      it('names neither list: 20109 Parameter Required', async () => {
        expectFault(
          await rawCall(
            service.url,
            `<ns1:paramsGetMultipleLeads>${STATIC('')}</ns1:paramsGetMultipleLeads>`,
          ),
          20109,
        );
      });
    });

    // The Ruby gems built on Savon (Rapleaf's marketo_gem, and markety forked from it) sync "on
    // id" by sending the lead's Id twice: as an attribute named Id (typed string), and as the
    // record's id, written after leadAttributeList and in lower case as Gyoku writes :id.
    describe("an Id attribute, as Ruby's marketo_gem and markety send it with the record's Id", () => {
      const stringAttr = (name: string, value: string) =>
        `<attribute><attrName>${name}</attrName><attrType>string</attrType><attrValue>${value}</attrValue></attribute>`;
      const onId = (id: string, idAttribute: string, firstName: string) =>
        '<ns1:paramsSyncLead><returnLead>true</returnLead><leadRecord><leadAttributeList>' +
        stringAttr('Email', 'on-id@example.com') +
        stringAttr('FirstName', firstName) +
        stringAttr('Id', idAttribute) +
        `</leadAttributeList>${id ? `<id>${id}</id>` : ''}</leadRecord></ns1:paramsSyncLead>`;
      const firstName = async (id: string) => {
        const got = await rawCall(
          service.url,
          `<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`,
        );
        return /<attrName>FirstName<\/attrName><attrType>string<\/attrType><attrValue>([^<]*)</.exec(
          got.body,
        )?.[1];
      };
      let id = '';
      before(async () => {
        const created = await rawCall(service.url, syncEmailXml('on-id@example.com'));
        id = /<leadId>(\d+)<\/leadId>/.exec(created.body)![1]!;
      });

      it('syncs the person the record names, the Id attribute naming it too', async () => {
        const res = await rawCall(service.url, onId(id, id, 'Rae'));
        expect(res.status, res.body).to.equal(200);
        expect(res.body).to.include(`<leadId>${id}</leadId>`);
        expect(res.body).to.include('<status>UPDATED</status>');
        // Id is the record's member, not one of its attributes.
        expect(res.body).to.not.include('<attrName>Id</attrName>');
        expect(await firstName(id)).to.equal('Rae');
        const batch = await rawCall(
          service.url,
          '<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><leadAttributeList>' +
            stringAttr('FirstName', 'Ray') +
            stringAttr('Id', ` ${id} `) +
            `</leadAttributeList><Id>${id}</Id></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>`,
        );
        expect(batch.status, batch.body).to.equal(200);
        expect(batch.body).to.include(`<leadId>${id}</leadId><status>UPDATED</status>`);
        expect(await firstName(id)).to.equal('Ray');
      });

      it('refuses an Id attribute naming another person, or standing without the record Id: 20105, nothing written', async () => {
        const other = String(Number(id) + 1000);
        for (const body of [onId(id, other, 'Wrong'), onId('', id, 'Wrong')]) {
          const res = await rawCall(service.url, body);
          expectFault(res, 20105);
          expect(res.body).to.include('Attribute Id');
        }
        expect(await firstName(id)).to.equal('Ray');
      });
    });

    // The vendor's developer blog (2014) names the lead of a record by leadId, as its Ruby
    // samples' :lead_id writes it: syncMultipleLeads writing a foreignSysPersonId to two existing
    // leads, and syncLead changing a lead's address. Its answers show them UPDATED: the
    // vendor read leadId as the record's Id.
    describe("a record's leadId, as the vendor's developer blog sends it", () => {
      const idnum = (id: string) =>
        `<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsGetLead>`;
      const created = async (email: string) => {
        const res = await rawCall(service.url, syncEmailXml(email));
        return /<leadId>(\d+)<\/leadId>/.exec(res.body)![1]!;
      };

      it('syncMultipleLeads and syncLead update the lead leadId names', async () => {
        const ids = [await created('blog-1@example.com'), await created('blog-2@example.com')];
        const record = (id: string, n: number) =>
          `<leadRecord><leadId>${id}</leadId><foreignSysPersonId>blog-fs-${n}</foreignSysPersonId>` +
          '<leadAttributeList><attribute><attrName>Company</attrName>' +
          `<attrValue>Blog${n}</attrValue></attribute></leadAttributeList></leadRecord>`;
        const batch = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${ids.map(record).join('')}</leadRecordList>` +
            '<dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>',
        );
        expect(batch.status, batch.body).to.equal(200);
        for (const id of ids)
          expect(batch.body).to.include(`<leadId>${id}</leadId><status>UPDATED</status>`);
        const first = await rawCall(service.url, idnum(ids[0]!));
        expect(first.body).to.include('<ForeignSysPersonId>blog-fs-0</ForeignSysPersonId>');
        expect(first.body).to.include('<attrValue>Blog0</attrValue>');

        const moved = await rawCall(
          service.url,
          `<ns1:paramsSyncLead><leadRecord><leadId>${ids[1]}</leadId><Email>blog-new@example.com</Email>` +
            '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        );
        expect(moved.status, moved.body).to.equal(200);
        expect(moved.body).to.include(`<leadId>${ids[1]}</leadId><status>UPDATED</status>`);
        expect((await rawCall(service.url, idnum(ids[1]!))).body).to.include(
          '<Email>blog-new@example.com</Email>',
        );
      });

      it("refuses a leadId naming another lead than the record's Id: 20110, nothing written", async () => {
        const [a, b] = [await created('blog-3@example.com'), await created('blog-4@example.com')];
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncLead><leadRecord><Id>${a}</Id><leadId>${b}</leadId>` +
            '<Email>blog-wrong@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        );
        expectFault(res, 20110);
        expect(res.body).to.include('leadId');
        for (const [id, email] of [
          [a, 'blog-3@example.com'],
          [b, 'blog-4@example.com'],
        ] as const)
          expect((await rawCall(service.url, idnum(id))).body).to.include(
            `<Email>${email}</Email>`,
          );
      });
    });

    // Talend's Marketo components call listMObjects when they create their SOAP client, to
    // check the credentials: a fault there (20019 it was) fails every job before its first call.
    it('listMObjects names the objects describeMObject describes, each of them describable', async () => {
      const res = await rawCall(service.url, '<ns1:paramsListMObjects/>');
      expect(res.status, res.body).to.equal(200);
      const objects = [...res.body.matchAll(/<objects>([^<]*)<\/objects>/g)].map((m) => m[1]!);
      expect(objects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
      for (const objectName of objects) {
        const described = await rawCall(
          service.url,
          `<ns1:paramsDescribeMObject><objectName>${objectName}</objectName></ns1:paramsDescribeMObject>`,
        );
        expect(described.status, described.body).to.equal(200);
        expect(described.body).to.include(`<name>${objectName}</name>`);
      }
    });
  });
}
