/**
 * What an outside-in review of the legacy contract found, each on the wire as a client sends
 * it: members the schema declares elsewhere (refused where they stand, as any unknown element),
 * getLeadActivity's paging by date, dates the calendar does not have, and a body whose encoding
 * only its Content-Type names.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  authHeaderXml,
  envelope,
  faultCode,
  getLeadByEmailXml,
  postXml,
  rawCall,
  startTestService,
  type TestService,
  activityByEmailXml,
  syncFirstNameXml,
} from '../support/service.js';

const MKTOWS = 'http://www.marketo.com/mktows/';
const SYNC = syncFirstNameXml;
const ACTIVITY = activityByEmailXml;

/** The activities of a getLeadActivity answer: id and date, in wire order. */
const activities = (body: string) =>
  [
    ...body.matchAll(
      /<activityRecord><id>(\d+)<\/id><activityDateTime>([^<]+)<\/activityDateTime>/g,
    ),
  ].map((m) => ({ id: Number(m[1]), at: m[2]! }));

/** The envelope of `bodyXml` without an XML declaration (its encoding then named elsewhere). */
const bare = (bodyXml: string) => envelope(bodyXml).replace(/^<\?xml[^>]*\?>/, '');

for (const engine of testEngines()) {
  describe(`legacy contract review on the wire (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    const call = (body: string) => rawCall(service.url, body);

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    describe('a member the schema declares for another type is unknown where it stands', () => {
      const misplaced: Array<[string, string, string, string]> = [
        [
          'Email (a LeadRecord member) inside getLead’s leadKey',
          '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>x@example.com</keyValue><Email>y@example.com</Email></leadKey></ns1:paramsGetLead>',
          'Email',
          'leadKey',
        ],
        [
          // The vendor's own request table names includeAttributes (its WSDL, includeTypes):
          // read as nothing, the filter would silently return every type.
          'activityFilter/includeAttributes, as the vendor’s request table spells it',
          ACTIVITY(
            'x@example.com',
            '<activityFilter><includeAttributes><stringItem>VisitWebpage</stringItem></includeAttributes></activityFilter>',
          ),
          'includeAttributes',
          'activityFilter',
        ],
        [
          'keyType inside a syncLead leadRecord (the request reader’s operation)',
          '<ns1:paramsSyncLead><leadRecord><Email>x@example.com</Email><keyType>EMAIL</keyType></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
          'keyType',
          'leadRecord',
        ],
        [
          'returnLead inside a syncMultipleLeads leadRecordList',
          '<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>x@example.com</Email></leadRecord><returnLead>true</returnLead></leadRecordList></ns1:paramsSyncMultipleLeads>',
          'returnLead',
          'leadRecordList',
        ],
        [
          'a case variant holding a member of another type',
          '<ns1:paramsSyncLead><LEADRECORD><email>x@example.com</email><batchSize>2</batchSize></LEADRECORD><returnLead>false</returnLead></ns1:paramsSyncLead>',
          'batchSize',
          'LEADRECORD',
        ],
      ];
      for (const [name, body, element, parent] of misplaced) {
        it(`refuses ${name} (20012, naming it)`, async () => {
          const r = await call(body);
          expect(r.status, r.body).to.equal(500);
          expect(faultCode(r.body), r.body).to.equal(20012);
          expect(r.body).to.include(`Unknown element ${element}:`);
          expect(r.body).to.include(`${parent} holds no ${element}`);
        });
      }

      it('still reads every member where its type declares it, in any case and by xsi:type', async () => {
        expect((await call(SYNC('placed@example.com'))).status).to.equal(200);
        const read = await call(
          '<ns1:paramsGetLead><LeadKey><KEYTYPE>EMAIL</KEYTYPE><keyvalue>placed@example.com</keyvalue></LeadKey></ns1:paramsGetLead>',
        );
        expect(read.status, read.body).to.equal(200);
        // The operation's own parameters too: the guard lets them through, so they are read.
        const synced = await call(
          '<ns1:paramsSyncLead><LeadRecord><Email>placed@example.com</Email></LeadRecord><ReturnLead>true</ReturnLead></ns1:paramsSyncLead>',
        );
        expect(synced.status, synced.body).to.equal(200);
        expect(synced.body).to.include('<Email>placed@example.com</Email>');
        for (const selector of [
          '<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues><stringItem>placed@example.com</stringItem></keyValues></leadSelector>',
          '<leadSelector xsi:type="ns1:LastUpdateAtSelector"><latestUpdatedAt xsi:nil="true"/><oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>',
        ]) {
          const r = await call(
            `<ns1:paramsGetMultipleLeads>${selector}<batchSize>1</batchSize><includeAttributes><stringItem>FirstName</stringItem></includeAttributes></ns1:paramsGetMultipleLeads>`,
          );
          expect(r.status, r.body).to.equal(200);
        }
      });
    });

    describe('getLeadActivity pages by startPosition/activityCreatedAt', () => {
      const email = 'by-date@example.com';
      let all: Array<{ id: number; at: string }>;

      before(async () => {
        for (const name of [undefined, 'Ann', 'Bea', 'Cy']) {
          const r = await call(SYNC(email, name));
          expect(r.status, r.body).to.equal(200);
          // Each change in a second of its own (answers write dates in whole seconds).
          await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
        }
        const r = await call(ACTIVITY(email));
        all = activities(r.body);
        expect(all.length).to.be.greaterThan(3);
        expect(new Set(all.map((a) => a.at)).size).to.be.greaterThan(2);
      });

      it('starts at the activities created at or before the date, newest first', async () => {
        const from = all[1]!;
        const r = await call(
          ACTIVITY(
            email,
            `<startPosition><activityCreatedAt>${from.at}</activityCreatedAt></startPosition>`,
          ),
        );
        expect(r.status, r.body).to.equal(200);
        expect(activities(r.body)).to.deep.equal(all.filter((a) => a.at <= from.at));
      });

      it('pages on from a date with the newStartPosition it answers: none lost, none twice', async () => {
        const from = all[1]!;
        const seen: number[] = [];
        let position = `<startPosition><activityCreatedAt>${from.at}</activityCreatedAt></startPosition>`;
        for (let pages = 0; pages < 20; pages++) {
          const r = await call(ACTIVITY(email, `${position}<batchSize>1</batchSize>`));
          expect(r.status, r.body).to.equal(200);
          seen.push(...activities(r.body).map((a) => a.id));
          if (r.body.includes('<remainingCount>0</remainingCount>')) break;
          // The whole position passed back, as stubs do: its offset is where the next starts.
          position = /<newStartPosition>[\s\S]*?<\/newStartPosition>/
            .exec(r.body)![0]!
            .replace(/newStartPosition>/g, 'startPosition>');
        }
        expect(seen).to.deep.equal(all.filter((a) => a.at <= from.at).map((a) => a.id));
      });

      it('lets the offset win when both are given (a whole newStartPosition passed back)', async () => {
        const r = await call(
          ACTIVITY(
            email,
            `<startPosition><activityCreatedAt>${all[all.length - 1]!.at}</activityCreatedAt><offset>ID:${all[0]!.id}</offset></startPosition>`,
          ),
        );
        expect(activities(r.body)).to.deep.equal(all.slice(1));
      });

      it('getLeadChanges starts at activityCreatedAt alone too (the activities since it)', async () => {
        const from = all[1]!;
        const r = await call(
          `<ns1:paramsGetLeadChanges><startPosition><activityCreatedAt>${from.at}</activityCreatedAt></startPosition><batchSize>1000</batchSize></ns1:paramsGetLeadChanges>`,
        );
        expect(r.status, r.body).to.equal(200);
        const ids = [...r.body.matchAll(/<leadChangeRecord><id>(\d+)<\/id>/g)].map((m) =>
          Number(m[1]),
        );
        expect(ids).to.include.members(all.filter((a) => a.at >= from.at).map((a) => a.id));
        expect(ids).to.not.include.members(all.filter((a) => a.at < from.at).map((a) => a.id));
      });

      it('refuses a date that is no xs:dateTime with 20122', async () => {
        for (const bad of ['0000-06-01T00:00:00Z', '2025-02-29T00:00:00Z', 'yesterday']) {
          const r = await call(
            ACTIVITY(
              email,
              `<startPosition><activityCreatedAt>${bad}</activityCreatedAt></startPosition>`,
            ),
          );
          expect(faultCode(r.body), `${bad}: ${r.body}`).to.equal(20122);
        }
      });
    });

    describe('dates the calendar does not have', () => {
      it('refuses year 0000 and impossible days in a selector (20110), never reads them', async () => {
        for (const bad of [
          '0000-01-01T00:00:00Z',
          '2023-02-29T00:00:00Z',
          '2024-04-31T00:00:00Z',
          '2024-01-01T24:30:00Z',
          '2024-01-01T00:00:00+15:00',
        ]) {
          const r = await call(
            `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>${bad}</oldestUpdatedAt></leadSelector></ns1:paramsGetMultipleLeads>`,
          );
          expect(faultCode(r.body), `${bad}: ${r.body}`).to.equal(20110);
          expect(r.body).to.include('oldestUpdatedAt must be an xs:dateTime');
        }
        // What xs:dateTime allows still reads: a leap day, the end of a day, a far offset.
        for (const good of [
          '2024-02-29T00:00:00Z',
          '2024-01-01T24:00:00Z',
          '0001-01-01T00:00:00-14:00',
          '2024-01-01T00:00:00.123456',
        ]) {
          const r = await call(
            `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>${good}</oldestUpdatedAt></leadSelector></ns1:paramsGetMultipleLeads>`,
          );
          expect(r.status, `${good}: ${r.body}`).to.equal(200);
        }
      });

      it('refuses a date attribute of year 0000 (20105)', async () => {
        for (const [name, value] of [
          ['DateOfBirth', '0000-01-01'],
          ['DateOfBirth', '0000-02-29'],
        ]) {
          const r = await call(
            `<ns1:paramsSyncLead><leadRecord><Email>zero@example.com</Email><leadAttributeList><attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
          );
          expect(faultCode(r.body), `${value}: ${r.body}`).to.equal(20105);
        }
      });
    });

    describe('a body whose encoding only its Content-Type names', () => {
      const withName = (email: string) => SYNC(email, 'Zoë Ångström');
      const readName = async (email: string) => {
        const r = await call(getLeadByEmailXml(email));
        return /<attrName>FirstName<\/attrName><attrType>[^<]*<\/attrType><attrValue>([^<]*)</.exec(
          r.body,
        )?.[1];
      };

      it('reads ISO-8859-1 announced by charset alone', async () => {
        const r = await postXml(
          service.url,
          Buffer.from(bare(withName('latin@example.com')), 'latin1'),
          {
            headers: { 'Content-Type': 'text/xml; charset=ISO-8859-1' },
          },
        );
        expect(r.status, r.body).to.equal(200);
        expect(await readName('latin@example.com')).to.equal('Zoë Ångström');
      });

      it('reads UTF-16 as .NET sends it: a byte order mark, or none with charset=utf-16', async () => {
        const text = `<?xml version="1.0" encoding="utf-16"?>${bare(withName('utf16le@example.com'))}`;
        const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
        const r1 = await postXml(service.url, le, {
          headers: { 'Content-Type': 'text/xml; charset=utf-16' },
        });
        expect(r1.status, r1.body).to.equal(200);
        expect(await readName('utf16le@example.com')).to.equal('Zoë Ångström');
        // Big-endian without a mark: its first bytes (0x00 '<') show it.
        const be = Buffer.from(bare(withName('utf16be@example.com')), 'utf16le').swap16();
        const r2 = await postXml(service.url, be, {
          headers: { 'Content-Type': 'text/xml; charset="UTF-16"' },
        });
        expect(r2.status, r2.body).to.equal(200);
        expect(await readName('utf16be@example.com')).to.equal('Zoë Ångström');
      });

      // .NET's Encoding.UTF32 writes FF FE 00 00 and each character in four bytes: it was
      // answered "Character U+0000 at offset 0 is not allowed in XML 1.0", which names no
      // encoding (read as UTF-16, every other character is a NUL).
      it('refuses UTF-32, with or without a byte order mark, naming it (20012), nothing stored', async () => {
        const utf32le = (text: string) => {
          const out = Buffer.alloc(text.length * 4);
          for (let i = 0; i < text.length; i++) out.writeUInt32LE(text.charCodeAt(i), i * 4);
          return out;
        };
        const text = bare(withName('utf32@example.com'));
        const marked = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32le(text)]);
        const bigEndian = Buffer.from(utf32le(text)).swap32();
        for (const body of [marked, bigEndian]) {
          const r = await postXml(service.url, body, {
            headers: { 'Content-Type': 'text/xml; charset=utf-32' },
          });
          expect(faultCode(r.body), r.body).to.equal(20012);
          expect(r.body).to.include('UTF-32');
        }
        expect(faultCode((await call(getLeadByEmailXml('utf32@example.com'))).body)).to.equal(
          20103,
        );
      });

      it('prefers the XML declaration to the header, and UTF-8 when neither names one', async () => {
        const declared = `<?xml version="1.0" encoding="UTF-8"?>${bare(withName('declared@example.com'))}`;
        const r = await postXml(service.url, Buffer.from(declared, 'utf8'), {
          headers: { 'Content-Type': 'text/xml; charset=iso-8859-1' },
        });
        expect(r.status, r.body).to.equal(200);
        expect(await readName('declared@example.com')).to.equal('Zoë Ångström');
        const plain = await postXml(service.url, Buffer.from(bare(withName('plain@example.com'))), {
          headers: { 'Content-Type': 'text/xml' },
        });
        expect(plain.status, plain.body).to.equal(200);
        expect(await readName('plain@example.com')).to.equal('Zoë Ångström');
      });

      it('refuses another charset it cannot read (20012, naming it); ASCII reads under any', async () => {
        const r = await postXml(
          service.url,
          Buffer.from(bare(withName('koi@example.com')), 'latin1'),
          { headers: { 'Content-Type': 'text/xml; charset=koi8-r' } },
        );
        expect(faultCode(r.body), r.body).to.equal(20012);
        expect(r.body).to.include('encoding koi8-r');
        const ascii = await postXml(service.url, Buffer.from(bare(SYNC('ascii@example.com'))), {
          headers: { 'Content-Type': 'text/xml; charset=windows-1251' },
        });
        expect(ascii.status, ascii.body).to.equal(200);
      });
    });

    it('answers a SOAP 1.2 request with a SOAP 1.1 VersionMismatch fault', async () => {
      const xml =
        `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ns1="${MKTOWS}">` +
        `<env:Header>${authHeaderXml()}</env:Header><env:Body>${getLeadByEmailXml('x@example.com')}</env:Body></env:Envelope>`;
      const r = await postXml(service.url, xml, {
        headers: { 'Content-Type': 'application/soap+xml; charset=utf-8; action="getLead"' },
      });
      expect(r.status).to.equal(500);
      expect(r.body).to.include('<faultcode>SOAP-ENV:VersionMismatch</faultcode>');
    });
  });
}
