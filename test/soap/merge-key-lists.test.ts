/**
 * mergeLeads' losing key lists as the vendor's own samples write them. Its Ruby (Savon) sample
 * puts both losers in one `keyList` (a hash with `:attribute` and `:attribute!`, which Gyoku
 * writes as two `<attribute>` elements): two keys of one type in a list cannot both name the
 * same lead (a lead has one id, one address), so each names a loser. Keys of different types
 * in one list still name one lead together.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  getLeadByEmailXml,
  rawCall,
  startTestService,
  syncEmailXml,
  type TestService,
} from '../support/service.js';

const key = (type: string, value: string | number) =>
  `<attribute><attrName>${type}</attrName><attrValue>${value}</attrValue></attribute>`;

const merge = (winner: string, ...losingLists: string[]) =>
  `<ns1:paramsMergeLeads><winningLeadKeyList>${winner}</winningLeadKeyList><losingLeadKeyLists>` +
  losingLists.map((l) => `<keyList>${l}</keyList>`).join('') +
  '</losingLeadKeyLists></ns1:paramsMergeLeads>';

const values = (body: string, name: string) =>
  [...body.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

for (const engine of testEngines()) {
  describe(`mergeLeads key lists as the vendor's samples write them (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    let run = 0;
    const call = async (body: string) => {
      const r = await rawCall(service.url, body);
      expect(r.status, r.body).to.equal(200);
      return r.body;
    };
    /** Three new people; their ids and addresses. */
    const people = async () => {
      run += 1;
      const emails = [1, 2, 3].map((n) => `merge-${run}-${n}@example.com`);
      for (const e of emails) await call(syncEmailXml(e));
      const ids: number[] = [];
      for (const e of emails) ids.push(Number(values(await call(getLeadByEmailXml(e)), 'Id')[0]));
      return { ids, emails };
    };

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it("the Ruby sample's one keyList of two IDNUMs merges both losers", async () => {
      const { ids, emails } = await people();
      const [w, a, b] = ids as [number, number, number];
      const body = await call(merge(key('IDNUM', w), key('IDNUM', a) + key('IDNUM', b)));
      expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      expect(values(body, 'winningLeadId')).to.deep.equal([String(w)]);
      expect(values(body, 'integerItem')).to.deep.equal([String(a), String(b)]);
      for (const e of emails.slice(1)) {
        const r = await rawCall(service.url, getLeadByEmailXml(e));
        expect(r.body, 'the loser is gone').to.include('20103');
      }
    });

    it('two EMAIL keys in one keyList are two losers too', async () => {
      const { ids, emails } = await people();
      const body = await call(
        merge(key('IDNUM', ids[0]!), key('EMAIL', emails[1]!) + key('EMAIL', emails[2]!)),
      );
      expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      expect(values(body, 'integerItem')).to.deep.equal([String(ids[1]), String(ids[2])]);
    });

    // Before: a list of more keys than there are key types (9) was refused whatever their
    // types (20102 "more keys than there are key types"), while separate lists took 100 losers.
    it('one keyList of twelve IDNUMs merges twelve losers; past 100 it is "At most 100 losing leads"', async () => {
      const emails = Array.from({ length: 13 }, (_, n) => `merge-many-${n}@example.com`);
      for (const e of emails) await call(syncEmailXml(e));
      const ids: number[] = [];
      for (const e of emails) ids.push(Number(values(await call(getLeadByEmailXml(e)), 'Id')[0]));
      const [w, ...losers] = ids as [number, ...number[]];
      const body = await call(merge(key('IDNUM', w), losers.map((l) => key('IDNUM', l)).join('')));
      expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      expect(values(body, 'integerItem')).to.deep.equal(losers.map(String));
      for (const e of emails.slice(1))
        expect((await rawCall(service.url, getLeadByEmailXml(e))).body).to.include('20103');

      const tooMany = Array.from({ length: 101 }, (_, n) => key('IDNUM', 1000000 + n)).join('');
      const refused = await rawCall(service.url, merge(key('IDNUM', w), tooMany));
      expect(refused.body).to.include('<code>20110</code>');
      expect(refused.body).to.include('At most 100 losing leads');
    });

    it('MERGE_LEADS_MAX_LOSERS: more losers than set is fault 20110, nothing merged; the default merges them', async () => {
      const tight = await startTestService(engine, { mergeLeadsMaxLosers: 1 });
      try {
        const emails = [1, 2, 3].map((n) => `merge-cap-${n}@example.com`);
        const tightCall = async (body: string) => (await rawCall(tight.url, body)).body;
        for (const e of emails) await tightCall(syncEmailXml(e));
        const ids: number[] = [];
        for (const e of emails)
          ids.push(Number(values(await tightCall(getLeadByEmailXml(e)), 'Id')[0]));
        const [w, a, b] = ids as [number, number, number];
        const two = merge(key('IDNUM', w), key('IDNUM', a), key('IDNUM', b));
        const refused = await tightCall(two);
        expect(refused).to.include('<code>20110</code>');
        expect(refused).to.include('At most 1 losing leads');
        for (const e of emails.slice(1))
          expect(await tightCall(getLeadByEmailXml(e)), 'not merged').not.to.include('20103');
      } finally {
        await tight.stop();
      }
      const { ids } = await people();
      const body = await call(
        merge(key('IDNUM', ids[0]!), key('IDNUM', ids[1]!), key('IDNUM', ids[2]!)),
      );
      expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
    });

    it('a keyList of more keys than key types, not all of one type, is still refused (20102)', async () => {
      const { ids, emails } = await people();
      const mixed =
        Array.from({ length: 9 }, (_, n) => key('IDNUM', 2000000 + n)).join('') +
        key('EMAIL', emails[2]!);
      const refused = await rawCall(service.url, merge(key('IDNUM', ids[0]!), mixed));
      expect(refused.body).to.include('<code>20102</code>');
      expect(refused.body).to.include('more keys than there are key types');
    });

    it('keys of different types in one keyList still name one lead: two leads there is FAILED, nothing merged', async () => {
      const { ids, emails } = await people();
      const body = await call(
        merge(key('IDNUM', ids[0]!), key('IDNUM', ids[1]!) + key('EMAIL', emails[2]!)),
      );
      expect(values(body, 'status'), body).to.deep.equal(['FAILED']);
      for (const e of emails)
        expect(values(await call(getLeadByEmailXml(e)), 'Id')).to.have.length(1);
    });

    it('a winning keyList of two IDNUMs is FAILED, nothing merged (one winner)', async () => {
      const { ids, emails } = await people();
      const body = await call(
        merge(key('IDNUM', ids[0]!) + key('IDNUM', ids[1]!), key('IDNUM', ids[2]!)),
      );
      expect(values(body, 'status'), body).to.deep.equal(['FAILED']);
      for (const e of emails)
        expect(values(await call(getLeadByEmailXml(e)), 'Id')).to.have.length(1);
    });

    // The vendor's merge adds up the standard Lead Score field (three leads of 10 make one of
    // 30), where every other field keeps the winner's value. It was kept as the winner's.
    it('adds up the Lead Score of the winner and its losers; a loser without one adds nothing', async () => {
      run += 1;
      const emails = [1, 2, 3, 4].map((n) => `merge-score-${run}-${n}@example.com`);
      const scores = ['10', '10', undefined, '10'];
      for (const [i, e] of emails.entries()) {
        const score = scores[i];
        await call(
          `<ns1:paramsSyncLead><leadRecord><Email>${e}</Email><leadAttributeList>` +
            key('FirstName', `P${i}`) +
            (score === undefined ? '' : key('LeadScore', score)) +
            '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
        );
      }
      const ids: number[] = [];
      for (const e of emails) ids.push(Number(values(await call(getLeadByEmailXml(e)), 'Id')[0]));
      const [w, ...losers] = ids as [number, ...number[]];
      const body = await call(merge(key('IDNUM', w), ...losers.map((l) => key('IDNUM', l))));
      expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      const merged = await call(getLeadByEmailXml(emails[0]!));
      expect(merged, merged).to.match(
        /<attrName>LeadScore<\/attrName>(?:<attrType>[^<]*<\/attrType>)?<attrValue>30<\/attrValue>/,
      );
    });

    // mergeInSales was never read: any text went through, `yes` or `maybe` as well as `True`.
    it('reads mergeInSales as a boolean in any case; anything else is 20110, nothing merged', async () => {
      const { ids, emails } = await people();
      const withSales = (value: string, loser: number) =>
        merge(key('IDNUM', ids[0]!), key('IDNUM', loser)).replace(
          '</losingLeadKeyLists>',
          `</losingLeadKeyLists><mergeInSales>${value}</mergeInSales>`,
        );
      for (const value of ['yes', 'maybe', '2']) {
        const refused = await rawCall(service.url, withSales(value, ids[1]!));
        expect(refused.status).to.equal(500);
        expect(refused.body).to.include('<code>20110</code>');
        expect(refused.body).to.include('mergeInSales must be true, false, 1 or 0');
      }
      for (const e of emails)
        expect(values(await call(getLeadByEmailXml(e)), 'Id')).to.have.length(1);
      // The vendor's page spells it True or False.
      for (const [value, loser] of [
        ['True', ids[1]!],
        ['False', ids[2]!],
      ] as const) {
        const body = await call(withSales(value, loser));
        expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      }
      // Empty or nil, as stubs write an unset member, it holds no value: the merge goes on.
      const more = await people();
      for (const [value, loser] of [
        ['', more.ids[1]!],
        [' ', more.ids[2]!],
      ] as const) {
        const body = await call(
          merge(key('IDNUM', more.ids[0]!), key('IDNUM', loser)).replace(
            '</losingLeadKeyLists>',
            value === ''
              ? '</losingLeadKeyLists><mergeInSales xsi:nil="true"/>'
              : `</losingLeadKeyLists><mergeInSales>${value}</mergeInSales>`,
          ),
        );
        expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      }
    });

    // Apache Axis 1.4 writes the first losing list's attributes under the outer item name:
    // <keyList><keyList><attrName>…</keyList></keyList>, the later lists as the schema has them.
    const axisKey = (type: string, value: string | number) =>
      `<keyList><attrName>${type}</attrName><attrValue>${value}</attrValue></keyList>`;

    it("Axis 1.4's first losing list, its attributes written as keyList, merges", async () => {
      const { ids, emails } = await people();
      const body = await call(
        merge(key('IDNUM', ids[0]!), axisKey('EMAIL', emails[1]!), key('IDNUM', ids[2]!)),
      );
      expect(values(body, 'status'), body).to.deep.equal(['MERGED']);
      expect(values(body, 'integerItem')).to.deep.equal([String(ids[1]), String(ids[2])]);
    });

    for (const [what, winner, losing] of [
      ['keyList for attribute in the winning list', axisKey('IDNUM', 1), key('IDNUM', 2)],
      [
        'a keyList below that keyList',
        key('IDNUM', 1),
        `<keyList>${axisKey('IDNUM', 2)}</keyList>`,
      ],
      [
        'keyList and attribute in one losing list',
        key('IDNUM', 1),
        axisKey('IDNUM', 2) + key('IDNUM', 3),
      ],
    ] as const) {
      it(`refuses ${what} (20012), nothing merged`, async () => {
        const { ids, emails } = await people();
        const at = (xml: string) =>
          xml.replace(/>([123])</g, (_, n: string) => `>${ids[Number(n) - 1]}<`);
        const r = await rawCall(service.url, merge(at(winner), at(losing)));
        expect(r.status).to.equal(500);
        expect(r.body).to.include('<code>20012</code>');
        for (const e of emails)
          expect(values(await call(getLeadByEmailXml(e)), 'Id')).to.have.length(1);
      });
    }
  });
}
