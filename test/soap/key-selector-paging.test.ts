import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * getMultipleLeads by LeadKeySelector pages through the leads its keys match in id order.
 * A page must read its own rows, not every match of every key: an address many people hold
 * would otherwise cost (matches x pages) to read to the end.
 */
const SELECTOR = (keyType: string, values: string[]) =>
  `<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>${keyType}</keyType><keyValues>` +
  values.map((v) => `<stringItem>${v}</stringItem>`).join('') +
  `</keyValues></leadSelector>`;
const PAGE = (selector: string, batchSize: number, position?: string) =>
  `<ns1:paramsGetMultipleLeads>${selector}` +
  (position === undefined ? '' : `<streamPosition>${position}</streamPosition>`) +
  `<batchSize>${batchSize}</batchSize></ns1:paramsGetMultipleLeads>`;
const one = (body: string, tag: string) =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body)?.[1] ?? '';
const idsOf = (body: string) => [...body.matchAll(/<Id>(\d+)<\/Id>/g)].map((m) => Number(m[1]));

for (const engine of testEngines()) {
  describe(`getMultipleLeads by key reads a page per page (${engine.name})`, function () {
    this.timeout(180000);
    let service: TestService;
    /** Creates `count` people holding `email` (dedup off: each record is a new person). */
    const hold = async (email: string, count: number) => {
      for (let done = 0; done < count; done += 300) {
        const n = Math.min(300, count - done);
        const records = `<leadRecord><Email>${email}</Email></leadRecord>`.repeat(n);
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList>` +
            `<dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
        );
        expect(res.status, res.body).to.equal(200);
      }
    };
    /** Reads every page; per page: ids, remainingCount, and rows the database returned. */
    const readAll = async (selector: string, batchSize: number) => {
      const pages: Array<{ ids: number[]; remaining: number; rows: number }> = [];
      let rows = 0;
      const count = (response: unknown) => {
        rows += Array.isArray(response) ? response.length : 0;
      };
      // Reads go to the reading pool (readKnex), which may be the writing one.
      const { knex, readKnex } = service.running.database;
      const pools = [...new Set([knex, readKnex])];
      for (const pool of pools) pool.on('query-response', count);
      try {
        let position: string | undefined;
        for (;;) {
          rows = 0;
          const res = await rawCall(service.url, PAGE(selector, batchSize, position));
          expect(res.status, res.body).to.equal(200);
          const ids = idsOf(res.body);
          pages.push({ ids, remaining: Number(one(res.body, 'remainingCount')), rows });
          position = one(res.body, 'newStreamPosition');
          if (ids.length === 0 || Number(one(res.body, 'remainingCount')) === 0) break;
        }
      } finally {
        for (const pool of pools) pool.removeListener('query-response', count);
      }
      return pages;
    };

    before(async () => {
      service = await startTestService(engine);
      await hold('many@example.com', 150);
      await hold('few@example.com', 3);
      await hold('many@example.com', 150); // ids of the two addresses interleave in id order
      await hold('few@example.com', 2);
    });
    after(() => service?.stop());

    it('gives the same leads, order and remainingCount as reading every match and slicing', async () => {
      const keys = ['MANY@example.com', 'few@example.com', 'nobody@example.com', ' '];
      const all = (await service.running.services.leads.findMany('EMAIL', keys)).map((l) => l.id);
      expect(all).to.have.length(305);
      for (const batchSize of [1, 7, 100, 400]) {
        const pages = await readAll(SELECTOR('EMAIL', keys), batchSize);
        expect(pages.flatMap((p) => p.ids)).to.deep.equal(all);
        let read = 0;
        for (const p of pages) {
          read += p.ids.length;
          expect(p.remaining, `batchSize ${batchSize}`).to.equal(all.length - read);
        }
      }
      const ids = all.slice(0, 5).reverse().map(String);
      const byId = await readAll(SELECTOR('IDNUM', [...ids, '999999']), 2);
      expect(byId.flatMap((p) => p.ids)).to.deep.equal(all.slice(0, 5));
      expect(byId.map((p) => p.remaining)).to.deep.equal([3, 1, 0]);
    });

    it('reads from the database about a page of rows per page, however many hold the address', async () => {
      const batchSize = 10;
      const pages = await readAll(SELECTOR('EMAIL', ['many@example.com']), batchSize);
      expect(pages.flatMap((p) => p.ids)).to.have.length(300);
      // The page itself and one count row; the whole match set (300 rows) before.
      for (const p of pages) {
        expect(p.rows, 'rows are counted').to.be.at.least(p.ids.length);
        expect(p.rows).to.be.at.most(batchSize + 1);
      }
    });

    it('still pages on from a position issued before positions held ids ({k}: matches read)', async () => {
      const keys = ['many@example.com', 'few@example.com'];
      const all = (await service.running.services.leads.findMany('EMAIL', keys)).map((l) => l.id);
      const legacy = Buffer.from(JSON.stringify({ k: 20 })).toString('base64url');
      const res = await rawCall(service.url, PAGE(SELECTOR('EMAIL', keys), 5, legacy));
      expect(idsOf(res.body)).to.deep.equal(all.slice(20, 25));
      expect(Number(one(res.body, 'remainingCount'))).to.equal(all.length - 25);
    });
  });
}
