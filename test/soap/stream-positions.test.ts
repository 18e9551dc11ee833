import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';

const BY_UPDATE = `<leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>`;
const BY_KEYS = `<leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues><stringItem>pos-1@example.com</stringItem><stringItem>pos-2@example.com</stringItem><stringItem>pos-3@example.com</stringItem></keyValues></leadSelector>`;
const PAGE = (selector: string, position?: string) =>
  `<ns1:paramsGetMultipleLeads>${selector}` +
  (position === undefined ? '' : `<streamPosition>${position}</streamPosition>`) +
  `<batchSize>2</batchSize></ns1:paramsGetMultipleLeads>`;
const positionOf = (body: string) =>
  /<newStreamPosition>([^<]*)<\/newStreamPosition>/.exec(body)![1]!;
const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

for (const engine of testEngines()) {
  describe(`getMultipleLeads stream positions (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
      for (const n of [1, 2, 3]) {
        const res = await rawCall(service.url, syncEmailXml(`pos-${n}@example.com`));
        expect(res.status, res.body).to.equal(200);
      }
    });
    after(() => service?.stop());

    const page = (selector: string, position?: string) =>
      rawCall(service.url, PAGE(selector, position));

    it('pages on with a position it issued for the same kind of selector', async () => {
      for (const selector of [BY_UPDATE, BY_KEYS]) {
        const first = await page(selector);
        expect(first.body).to.contain('<returnCount>2</returnCount>');
        const second = await page(selector, positionOf(first.body));
        expect(second.body, second.body).to.contain('<returnCount>1</returnCount>');
        expect(second.body).to.contain('<remainingCount>0</remainingCount>');
      }
      // The position of an empty first page is the start.
      const start = await page(BY_UPDATE, forged({}));
      expect(start.body).to.contain('<returnCount>2</returnCount>');
    });

    it('refuses with 20122 a position of the other selector, or one it never issued', async () => {
      const byKeys = positionOf((await page(BY_KEYS)).body);
      const byUpdate = positionOf((await page(BY_UPDATE)).body);
      // Read as the start, each of these would restart the client's stream without a word.
      for (const [selector, position] of [
        [BY_UPDATE, byKeys],
        [BY_KEYS, byUpdate],
        [BY_UPDATE, forged([])],
        [BY_KEYS, forged([])],
        [BY_UPDATE, forged({ u: 1 })],
        [BY_UPDATE, forged({ u: 1, i: 1, x: 1 })],
        [BY_KEYS, forged({ k: 1, u: 1 })],
        // Lead ids beyond any there can be (PostgreSQL's integer): not a server fault.
        [BY_UPDATE, forged({ u: 1, i: 2147483648 })],
        [BY_KEYS, forged({ i: Number.MAX_SAFE_INTEGER })],
      ] as const) {
        const res = await page(selector, position);
        expect(faultCode(res.body), `${position}: ${res.body}`).to.equal(20122);
      }
    });
  });
}

const CHANGES = (offset: string) =>
  `<ns1:paramsGetLeadChanges><startPosition><offset>${offset}</offset></startPosition>` +
  '<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>';
const offsetOf = (body: string) => /<offset>ID:(\d+)<\/offset>/.exec(body)![1]!;

for (const engine of testEngines()) {
  describe(`getLeadChanges offsets (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine);
      const res = await rawCall(service.url, syncEmailXml('offset-1@example.com'));
      expect(res.status, res.body).to.equal(200);
    });
    after(() => service?.stop());

    it('refuses with 20122 an offset past the last activity, which it never issued', async () => {
      const all = await rawCall(service.url, CHANGES('ID:0'));
      expect(all.status, all.body).to.equal(200);
      const last = Number(offsetOf(all.body));
      expect(last).to.be.above(0);
      // The last position it issued: an empty page, the same position back, until more comes.
      const caughtUp = await rawCall(service.url, CHANGES(`ID:${last}`));
      expect(caughtUp.status, caughtUp.body).to.equal(200);
      expect(caughtUp.body).to.contain('<returnCount>0</returnCount>');
      expect(offsetOf(caughtUp.body)).to.equal(String(last));
      // A position kept from the vendor's service (or from before a restore): read as given, its
      // pages would stay empty until this log's ids passed it, every activity till then unread.
      // Nor is a bare number an offset, even one naming an issued id: positions are opaque, passed
      // back as answered (the vendor's were `ID:n` too), and a client that reshaped one is told.
      for (const offset of [`ID:${last + 1}`, 'ID:1086173', String(last), '1086173']) {
        const res = await rawCall(service.url, CHANGES(offset));
        expect(faultCode(res.body), `${offset}: ${res.body}`).to.equal(20122);
      }
      // Once more is written the stream goes on from the last position as before.
      await rawCall(service.url, syncEmailXml('offset-2@example.com'));
      const next = await rawCall(service.url, CHANGES(`ID:${last}`));
      expect(next.body).to.contain('<returnCount>1</returnCount>');
    });
  });
}
