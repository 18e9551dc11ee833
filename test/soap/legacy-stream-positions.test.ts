/**
 * getLeadActivity's stream position passed back as clients pass it: the whole newStartPosition
 * reads each activity once, and a date bound written back as Axis 1.4 writes a Calendar and .NET
 * a DateTime (a fraction of zeros) still holds every activity of its second.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { validateBodyChild } from '../support/schema.js';
import {
  activityByEmailXml,
  rawCall,
  startTestService,
  syncFirstNameXml,
  type TestService,
} from '../support/service.js';

const NIL = 'nil';

/** The members of the answer's newStartPosition in wire order: a value, or NIL. */
function position(body: string): Array<[string, string]> {
  const p = /<newStartPosition>([\s\S]*?)<\/newStartPosition>/.exec(body)?.[1] ?? '';
  return [...p.matchAll(/<(\w+)( xsi:nil="true")?>([^<]*)<\/\1>/g)].map((m) => [
    m[1]!,
    m[2] ? NIL : m[3]!,
  ]);
}

const ids = (body: string) =>
  [...body.matchAll(/<(?:activityRecord|leadChangeRecord)><id>(\d+)<\/id>/g)].map((m) =>
    Number(m[1]),
  );
const dates = (body: string) =>
  [...body.matchAll(/<activityDateTime>([^<]+)<\/activityDateTime>/g)].map((m) => m[1]!);

for (const engine of testEngines()) {
  describe(`stream positions as the vendor's answers fill them (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    const email = 'positions@example.com';
    const call = async (body: string) => {
      const r = await rawCall(service.url, body);
      expect(r.status, r.body).to.equal(200);
      validateBodyChild(r.body);
      return r.body;
    };
    let all: number[] = [];

    before(async () => {
      service = await startTestService(engine);
      for (const name of [undefined, 'Ann', 'Bea', 'Cy']) await call(syncFirstNameXml(email, name));
      all = ids(await call(activityByEmailXml(email)));
      expect(all.length).to.be.at.least(4);
    });
    after(() => service?.stop());

    it('getLeadActivity paged by the whole position passed back reads each activity once', async () => {
      const seen: number[] = [];
      let start = '';
      let firstLatest = '';
      for (let pages = 0; pages < 20; pages++) {
        const body = await call(activityByEmailXml(email, `${start}<batchSize>1</batchSize>`));
        seen.push(...ids(body));
        const p = position(body);
        // The bound of the first page goes on unchanged: the pages keep to the same window.
        firstLatest ||= p[0]![1];
        expect(p[0]![1]).to.equal(firstLatest);
        if (body.includes('<remainingCount>0</remainingCount>')) break;
        start =
          '<startPosition>' +
          p.map(([n, v]) => (v === NIL ? `<${n} xsi:nil="true"/>` : `<${n}>${v}</${n}>`)).join('') +
          '</startPosition>';
        // An activity written between pages is newer than the first page's read: not in it.
        if (pages === 0) await call(syncFirstNameXml(email, 'Dee'));
      }
      expect(seen).to.deep.equal(all);
    });

    /**
     * A person whose three activities, and the first page `read` answers, fall in one second:
     * started early in a second, tried again (another person) should the machine be too slow.
     */
    async function inOneSecond(tag: string, read: (who: string, second: string) => string) {
      for (let attempt = 0; attempt < 5; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));
        const who = `${tag}-${attempt}@example.com`;
        for (const name of [undefined, 'Ann', 'Bea']) await call(syncFirstNameXml(who, name));
        const second = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
        const first = await call(read(who, second.replace('.000Z', '+00:00')));
        const readBy = Math.floor(Date.now() / 1000) * 1000;
        const every = await call(activityByEmailXml(who));
        if (dates(every).every((d) => Date.parse(d) === readBy) && Date.parse(second) === readBy)
          return { who, first, every: ids(every) };
      }
      throw new Error('no attempt stayed within one second');
    }

    /** Pages on from `body` as Axis 1.4 writes a Calendar back, and .NET a DateTime: `.000…`. */
    async function pagedAsAxis(who: string, body: string): Promise<number[]> {
      const seen = ids(body);
      for (let pages = 0; pages < 10; pages++) {
        if (body.includes('<remainingCount>0</remainingCount>')) break;
        const start = position(body)
          .map(([n, v]) =>
            v === NIL
              ? ''
              : n === 'latestCreatedAt'
                ? `<${n}>${v.replace(/(\.\d+)?\+00:00$/, '.0000000+00:00')}</${n}>`
                : `<${n}>${v}</${n}>`,
          )
          .join('');
        body = await call(
          activityByEmailXml(
            who,
            `<startPosition>${start}</startPosition><batchSize>1</batchSize>`,
          ),
        );
        seen.push(...ids(body));
      }
      return seen;
    }

    it('reads a bound with a fraction of zeros as its whole second, as the vendor kept seconds', async () => {
      // Started from the second of the activities (the vendor's paging by date), the bound
      // answered goes back as Axis and .NET write it: the activities of that second not yet
      // read were left out.
      const { who, first, every } = await inOneSecond('date-second', (w, second) =>
        activityByEmailXml(
          w,
          `<startPosition><activityCreatedAt>${second}</activityCreatedAt></startPosition><batchSize>1</batchSize>`,
        ),
      );
      expect(await pagedAsAxis(who, first)).to.deep.equal(every);
      // A latestCreatedAt given so holds its second too.
      const second = dates(first)[0]!.replace('+00:00', '.000Z');
      const bounded = await call(
        activityByEmailXml(
          who,
          `<startPosition><latestCreatedAt>${second}</latestCreatedAt></startPosition>`,
        ),
      );
      expect(ids(bounded)).to.deep.equal(every);
    });
  });
}
