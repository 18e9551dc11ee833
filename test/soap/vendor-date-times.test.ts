/**
 * Dates as the vendor wrote them, and as its clients keep them.
 *
 * The vendor's answers carry whole seconds and an offset (`2013-07-09T16:44:28-05:00`); PHP
 * integrations read them with DateTime::createFromFormat(DATE_W3C), which fails on a fraction.
 * Clients keep the dates they read in seconds (PHP's DATE_W3C, gSOAP's time_t, the vendor's Java
 * sample's SimpleDateFormat) and send them back as a start: the log keeps milliseconds, so an
 * upper bound in whole seconds must hold all of its second, or a client resuming
 * getLeadActivity (newest first) from the last date it read loses the activities of that second
 * it had not read yet.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  activityByEmailXml,
  rawCall,
  startTestService,
  syncFirstNameXml,
  type TestService,
} from '../support/service.js';

const VENDOR_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

const SYNC = syncFirstNameXml;
const ACTIVITY = activityByEmailXml;
const CHANGES = (extra: string) =>
  `<ns1:paramsGetLeadChanges>${extra}<batchSize>1000</batchSize></ns1:paramsGetLeadChanges>`;

const ids = (body: string) =>
  [...body.matchAll(/<(?:activityRecord|leadChangeRecord)><id>(\d+)<\/id>/g)].map((m) =>
    Number(m[1]),
  );
const datesOf = (body: string, name: string) =>
  [...body.matchAll(new RegExp(`<${name}>([^<]+)</${name}>`, 'g'))].map((m) => m[1]!);

/** The date as a client in Los Angeles keeps it: whole seconds, its own offset (DATE_W3C). */
function keptInSeconds(wire: string): string {
  const pacific = Math.floor(Date.parse(wire) / 1000) * 1000 - 8 * 3600_000;
  return `${new Date(pacific).toISOString().slice(0, 19)}-08:00`;
}

for (const engine of testEngines()) {
  describe(`dates as the vendor wrote them and its clients keep them (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const call = async (body: string) => {
      const r = await rawCall(service.url, body);
      expect(r.status, r.body).to.equal(200);
      return r.body;
    };
    let email = '';
    /** The person's activities, newest first, all created within one second. */
    let all: number[] = [];

    before(async () => {
      service = await startTestService(engine);
      // Four activities inside one second, none at its first millisecond: started 20 ms into a
      // second, tried again (another person) should the machine be too slow to end within it.
      for (let attempt = 0; attempt < 5 && all.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 1020 - (Date.now() % 1000)));
        const began = Date.now();
        email = `vendor-dates-${attempt}@example.com`;
        for (const name of [undefined, 'Ann', 'Bea', 'Cy']) await call(SYNC(email, name));
        if (Math.floor(Date.now() / 1000) === Math.floor(began / 1000))
          all = ids(await call(ACTIVITY(email)));
      }
      expect(all.length, 'activities written within one second').to.be.at.least(4);
    });
    after(() => service?.stop());

    it('writes activityDateTime and newStartPosition dates in whole seconds with an offset', async () => {
      const activity = await call(ACTIVITY(email, '<batchSize>2</batchSize>'));
      const changes = await call(
        CHANGES(
          '<startPosition><oldestCreatedAt>2000-01-01T00:00:00Z</oldestCreatedAt></startPosition>',
        ),
      );
      for (const body of [activity, changes]) {
        const dates = [...datesOf(body, 'activityDateTime'), ...datesOf(body, 'activityCreatedAt')];
        expect(dates.length, body).to.be.at.least(2);
        for (const d of dates) expect(d, body).to.match(VENDOR_DATE_TIME);
      }
      expect(datesOf(changes, 'oldestCreatedAt')).to.deep.equal(['2000-01-01T00:00:00+00:00']);
    });

    it('resumes getLeadActivity from the last date read, kept in whole seconds: nothing of that second lost', async () => {
      const first = await call(ACTIVITY(email, '<batchSize>1</batchSize>'));
      expect(ids(first)).to.deep.equal([all[0]]);
      const kept = keptInSeconds(datesOf(first, 'activityDateTime')[0]!);
      const next = await call(
        ACTIVITY(
          email,
          `<startPosition><activityCreatedAt>${kept}</activityCreatedAt></startPosition><batchSize>100</batchSize>`,
        ),
      );
      // At or before that second: the one read is read again, none after it is left out.
      expect(ids(next)).to.deep.equal(all);
    });

    it('reads a latestCreatedAt in whole seconds as all of that second, and writes it back as given', async () => {
      const second = keptInSeconds(datesOf(await call(ACTIVITY(email)), 'activityDateTime')[0]!);
      const bounded = await call(
        ACTIVITY(
          email,
          `<startPosition><oldestCreatedAt>${second}</oldestCreatedAt><latestCreatedAt>${second}</latestCreatedAt></startPosition><batchSize>2</batchSize>`,
        ),
      );
      expect(ids(bounded)).to.deep.equal(all.slice(0, 2));
      const [latest] = datesOf(bounded, 'latestCreatedAt');
      const [oldest] = datesOf(bounded, 'oldestCreatedAt');
      expect(latest).to.match(VENDOR_DATE_TIME);
      expect(oldest).to.match(VENDOR_DATE_TIME);
      expect(Date.parse(latest!)).to.equal(Date.parse(second));
      expect(Date.parse(oldest!)).to.equal(Date.parse(second));
      // The position passed back whole keeps to the same second.
      const position = /<newStartPosition>[\s\S]*?<\/newStartPosition>/
        .exec(bounded)![0]
        .replace(/newStartPosition>/g, 'startPosition>');
      const rest = await call(ACTIVITY(email, `${position}<batchSize>100</batchSize>`));
      expect(ids(rest)).to.deep.equal(all.slice(2));
      // getLeadChanges too, its LastUpdateAtSelector's latestUpdatedAt standing for it.
      const changes = await call(
        CHANGES(
          `<leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>${second}</oldestUpdatedAt><latestUpdatedAt>${second}</latestUpdatedAt></leadSelector>`,
        ),
      );
      expect(ids(changes)).to.include.members(all);
    });

    // Before: read as an instant of year 10000 (or 0000) in UTC, and written back in
    // newStartPosition as `+010000-01-01T11:59:59+00:00` or `0000-12-31T10:00:00+00:00`, which
    // no xs:dateTime reader takes: the client failed on the answer, not on its request.
    it('refuses a date whose offset moves it out of the years 0001-9999 (20122), never writing one back', async () => {
      for (const date of ['9999-12-31T23:59:59-12:00', '0001-01-01T00:00:00+14:00']) {
        for (const body of [
          CHANGES(`<startPosition><oldestCreatedAt>${date}</oldestCreatedAt></startPosition>`),
          ACTIVITY(
            email,
            `<startPosition><latestCreatedAt>${date}</latestCreatedAt></startPosition>`,
          ),
        ]) {
          const r = await rawCall(service.url, body);
          expect(r.body, `${date}: ${r.body}`).to.contain('<code>20122</code>');
        }
      }
      // At the edges of those years, still read and written back as xs:dateTime.
      const edge = await call(
        CHANGES(
          '<startPosition><oldestCreatedAt>0001-01-01T00:00:00-14:00</oldestCreatedAt></startPosition>',
        ),
      );
      expect(datesOf(edge, 'oldestCreatedAt')[0]).to.match(VENDOR_DATE_TIME);
    });

    it('reads getMultipleLeads’ latestUpdatedAt in whole seconds as all of that second (a LastUpdateAtSelector as suds writes it)', async () => {
      // The person was last updated within the second of its activities, past its first
      // millisecond: a window closed at that second (a day's window ending 23:59:59, say) holds it.
      const read =
        Math.floor(
          Date.parse(datesOf(await call(ACTIVITY(email)), 'activityDateTime')[0]!) / 1000,
        ) * 1000;
      const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
      // suds 1.1's bytes: the selector's type from its factory, members in the schema's order.
      const window = (latest: string) =>
        '<ns0:paramsGetMultipleLeads xmlns:ns0="http://www.marketo.com/mktows/">\n' +
        '         <leadSelector xsi:type="ns0:LastUpdateAtSelector">\n' +
        `            <latestUpdatedAt>${latest}</latestUpdatedAt>\n` +
        `            <oldestUpdatedAt>${utc(read - 60_000)}</oldestUpdatedAt>\n` +
        '         </leadSelector>\n' +
        '         <batchSize>100</batchSize>\n' +
        '      </ns0:paramsGetMultipleLeads>';
      const emails = (body: string) => datesOf(body, 'Email');
      expect(emails(await call(window(utc(read)))), 'closed at its second').to.include(email);
      expect(emails(await call(window(`${utc(read).slice(0, 19)}.000Z`))), '.000').to.include(
        email,
      );
      expect(emails(await call(window(utc(read - 1000)))), 'closed before it').to.not.include(
        email,
      );
    });

    it('writes back a bound given with milliseconds with them', async () => {
      const at = '2026-01-02T03:04:05.250Z';
      const body = await call(
        ACTIVITY(
          email,
          `<startPosition><oldestCreatedAt>2000-01-01T00:00:00.125Z</oldestCreatedAt><latestCreatedAt>${at}</latestCreatedAt></startPosition>`,
        ),
      );
      expect(datesOf(body, 'oldestCreatedAt')).to.deep.equal(['2000-01-01T00:00:00.125+00:00']);
      expect(datesOf(body, 'latestCreatedAt')).to.deep.equal(['2026-01-02T03:04:05.250+00:00']);
    });
  });
}
