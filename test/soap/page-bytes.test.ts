import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * A getMultipleLeads or getLeadChanges page is bounded by the bytes of its answer
 * (PAGE_MAX_BYTES), not only by batchSize: a thousand records of fields full of characters the
 * answer escapes (`<` written `&lt;`) made an answer of over 30 MB, built in memory, and ten
 * such calls in flight held some 900 MB of the process. Past the bound, the page holds fewer
 * records and says how many remain and where to continue; every record is still read once, in
 * order, page after page. A getLead answer holds the people of its key that fit, `count`
 * saying how many.
 */
const FIELDS = ['FirstName', 'LastName', 'Company', 'Title', 'City', 'Industry'];
/** Each field's 255 characters, each written as a 4-byte reference in the answer. */
const ESCAPED_FIELD = '&lt;'.repeat(255);
const bigRecord = (email: string) =>
  `<leadRecord><Email>${email}</Email><leadAttributeList>` +
  FIELDS.map(
    (f) =>
      `<attribute><attrName>${f}</attrName><attrValue>${ESCAPED_FIELD}</attrValue></attribute>`,
  ).join('') +
  `</leadAttributeList></leadRecord>`;

const BY_UPDATE = `<leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>`;
const BY_KEYS = (emails: string[]) =>
  `<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues>` +
  emails.map((e) => `<stringItem>${e}</stringItem>`).join('') +
  `</keyValues></leadSelector>`;
const PAGE = (selector: string, position?: string) =>
  `<ns1:paramsGetMultipleLeads>${selector}` +
  (position ? `<streamPosition>${position}</streamPosition>` : '') +
  `<batchSize>1000</batchSize></ns1:paramsGetMultipleLeads>`;
const one = (body: string, tag: string) =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body)?.[1] ?? '';
const idsOf = (body: string) => [...body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => Number(m[1]));

const LEADS = 12;
const EMAILS = Array.from({ length: LEADS }, (_, i) => `page-bytes-${i}@example.com`);

/** Every page of a selector: the ids of each, its returnCount and remainingCount, its bytes. */
async function readAll(service: TestService, selector: string) {
  const pages: { ids: number[]; returned: number; remaining: number; bytes: number }[] = [];
  let position: string | undefined;
  for (let guard = 0; guard < 3 * LEADS; guard++) {
    const res = await rawCall(service.url, PAGE(selector, position));
    expect(res.status, res.body.slice(0, 500)).to.equal(200);
    pages.push({
      ids: idsOf(res.body),
      returned: Number(one(res.body, 'returnCount')),
      remaining: Number(one(res.body, 'remainingCount')),
      bytes: Buffer.byteLength(res.body),
    });
    position = one(res.body, 'newStreamPosition');
    if (!position) break;
  }
  return pages;
}

const CHANGES = (offset?: string) =>
  `<ns1:paramsGetLeadChanges><startPosition>` +
  (offset
    ? `<offset>${offset}</offset>`
    : `<oldestCreatedAt>2000-01-01T00:00:00Z</oldestCreatedAt>`) +
  `</startPosition><batchSize>1000</batchSize></ns1:paramsGetLeadChanges>`;

/** Every page of the change stream from its start: ids, counts and bytes of each. */
async function readChanges(service: TestService) {
  const pages: { ids: number[]; returned: number; remaining: number; bytes: number }[] = [];
  let offset: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const res = await rawCall(service.url, CHANGES(offset));
    expect(res.status, res.body.slice(0, 500)).to.equal(200);
    const page = {
      ids: [...res.body.matchAll(/<leadChangeRecord><id>(\d+)<\/id>/g)].map((m) => Number(m[1])),
      returned: Number(one(res.body, 'returnCount')),
      remaining: Number(one(res.body, 'remainingCount')),
      bytes: Buffer.byteLength(res.body),
    };
    pages.push(page);
    if (page.remaining === 0) break;
    offset = one(res.body, 'offset');
  }
  return pages;
}

for (const engine of testEngines()) {
  describe(`getLead answers, getMultipleLeads and getLeadChanges pages bounded by their bytes (${engine.name})`, function () {
    this.timeout(120000);

    const fill = async (service: TestService) => {
      const res = await rawCall(
        service.url,
        `<ns1:paramsSyncMultipleLeads><leadRecordList>${EMAILS.map(bigRecord).join('')}` +
          `</leadRecordList></ns1:paramsSyncMultipleLeads>`,
      );
      expect(res.status, res.body.slice(0, 500)).to.equal(200);
    };

    describe('a bound of a few records', () => {
      const BOUND = 24 * 1024;
      let service: TestService;
      before(async () => {
        service = await startTestService(engine, { pageMaxBytes: BOUND });
        await fill(service);
      });
      after(() => service?.stop());

      it('answers getLead with the people of a key that fit within the bound, count saying how many', async () => {
        // Twelve people of one address (dedup off), each some 6 KB of answer.
        const shared = 'page-bytes-shared@example.com';
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${bigRecord(shared).repeat(LEADS)}` +
            `</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
        );
        expect(res.status, res.body.slice(0, 500)).to.equal(200);
        const answer = await rawCall(
          service.url,
          `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${shared}</keyValue></leadKey></ns1:paramsGetLead>`,
        );
        expect(answer.status, answer.body.slice(0, 500)).to.equal(200);
        const count = Number(one(answer.body, 'count'));
        expect(count).to.be.greaterThan(0).and.lessThan(LEADS);
        expect(idsOf(answer.body)).to.have.length(count);
        expect(Buffer.byteLength(answer.body)).to.be.at.most(BOUND + 2048);
      });

      it('answers fewer changes than batchSize past the bound in getLeadChanges, then the rest', async () => {
        // Six fields of each lead changed from 255 `<` to 255 `>`: Change Data Values of some
        // 3 KB each in the answer.
        const changed = EMAILS.map((e) => bigRecord(e).replaceAll('&lt;', '&gt;')).join('');
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${changed}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
        );
        expect(res.status, res.body.slice(0, 500)).to.equal(200);
        const pages = await readChanges(service);
        expect(pages.length, JSON.stringify(pages)).to.be.greaterThan(2);
        const total = pages[0]!.returned + pages[0]!.remaining;
        expect(total).to.be.at.least(LEADS * FIELDS.length);
        let seen = 0;
        for (const page of pages) {
          expect(page.returned).to.equal(page.ids.length);
          expect(page.returned).to.be.greaterThan(0);
          expect(page.bytes).to.be.at.most(BOUND + 2048);
          seen += page.returned;
          expect(page.remaining, JSON.stringify(pages)).to.equal(total - seen);
        }
        const ids = pages.flatMap((p) => p.ids);
        expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).to.equal(total);
      });

      for (const [name, selector] of [
        ['LastUpdateAtSelector', BY_UPDATE],
        ['LeadKeySelector', BY_KEYS(EMAILS)],
      ] as const) {
        it(`answers fewer records than batchSize past the bound, then the rest (${name})`, async () => {
          const pages = await readAll(service, selector);
          // Each record is some 6 KB of answer: a page holds a few, never all twelve.
          expect(pages.length, JSON.stringify(pages)).to.be.greaterThan(2);
          // Twelve, and the other tests' people when they ran first.
          const total = pages[0]!.returned + pages[0]!.remaining;
          expect(total).to.be.at.least(LEADS);
          let seen = 0;
          for (const page of pages) {
            expect(page.returned).to.equal(page.ids.length);
            expect(page.returned).to.be.greaterThan(0);
            // The envelope around the records is well under 2 KiB.
            expect(page.bytes).to.be.at.most(BOUND + 2048);
            seen += page.returned;
            expect(page.remaining, JSON.stringify(pages)).to.equal(total - seen);
          }
          const ids = pages.flatMap((p) => p.ids);
          expect(ids).to.have.length(total);
          expect(new Set(ids).size).to.equal(total);
        });
      }
    });

    it('still answers one record larger than the bound alone, and goes on', async () => {
      const service = await startTestService(engine, { pageMaxBytes: 1024 });
      try {
        await fill(service);
        const pages = await readAll(service, BY_UPDATE);
        expect(pages.map((p) => p.returned)).to.deep.equal(Array(LEADS).fill(1));
        expect(new Set(pages.flatMap((p) => p.ids)).size).to.equal(LEADS);
      } finally {
        await service.stop();
      }
    });
  });
}
