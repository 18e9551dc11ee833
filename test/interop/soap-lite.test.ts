import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import { expectLegacyRun, toolkitOrSkip, type LegacyRun } from './legacy-toolkits.js';
import { INTEROP_DIR, parseReport, run } from './worked-example.js';

/**
 * Perl SOAP::Lite, as integrations of the vendor era used it: no WSDL, SOAP::Data built by
 * hand (and a hash, in Perl's order), everything else at SOAP::Lite's defaults — its own
 * prefixes, xsi:type on every value, soap:encodingStyle, SOAPAction "namespace#paramsX".
 * test/interop/clients/soap_lite_client.pl.
 */
const CLIENT = path.join(INTEROP_DIR, 'clients', 'soap_lite_client.pl');
const MULTI_REFS = path.join(INTEROP_DIR, 'clients', 'soap_lite_multi_refs.pl');
const SOAP_LITE = '/usr/share/perl5/SOAP/Lite.pm';
/**
 * The operations the client above leaves out (clients/soap_lite_operations.pl): getMultipleLeads
 * by a LeadKeySelector named by xsi:type and by a LastUpdateAtSelector, getLeadChanges,
 * mergeLeads, deleteLead, listMObjects, describeMObject, and an operation not served.
 */
const OPERATIONS = path.join(INTEROP_DIR, 'clients', 'soap_lite_operations.pl');
/** Values outside ASCII, which SOAP::Lite's autotyping sends as xsd:base64Binary. */
const NON_ASCII = path.join(INTEROP_DIR, 'clients', 'soap_lite_non_ascii.pl');
/** Lists given as Perl array references, which SOAP::Lite sends as SOAP-ENC arrays of items. */
const ARRAY_REFS = path.join(INTEROP_DIR, 'clients', 'soap_lite_array_refs.pl');

interface OperationsRun {
  client: string;
  ids: number[];
  byKeys: { returnCount: number; remainingCount: number; ids: number[] }[];
  byUpdate: number[];
  changes: number[];
  merge: { status: string; winner: number; losers: number[] };
  deleted: { count: number };
  objects: string[];
  described: Record<string, string[]>;
  unserved: string | null;
}

for (const engine of testEngines()) {
  describe(`interop: Perl SOAP::Lite client (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;

    before(async function () {
      toolkitOrSkip(this, [SOAP_LITE], 'libsoap-lite-perl');
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('syncMultipleLeads, syncLead (an unsubscribe), getLead, getLeadActivity paged, a fault', async () => {
      const r = await run('perl', [
        CLIENT,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = parseReport<LegacyRun>('soap_lite_client.pl', r);
      expect(report.client).to.match(/^SOAP::Lite \d/);
      expectLegacyRun(report);
    });

    for (const [style, joiner] of [
      ['joined', ''],
      ['slashed', '/'],
    ] as const) {
      it(`the same with on_action(sub { join '${joiner}', @_ }), as written for .NET services`, async () => {
        const r = await run('perl', [
          CLIENT,
          service!.url,
          TEST_USER.userId,
          TEST_USER.encryptionKey,
          style,
        ]);
        expectLegacyRun(parseReport<LegacyRun>('soap_lite_client.pl', r));
      });
    }

    it('one attribute list shared by several records: SOAP::Lite’s multi-reference values (href="#ref-…") are read in place', async () => {
      const r = await run('perl', [
        MULTI_REFS,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<{
        references: number;
        statuses: string[];
        people: { Company: string | null; LeadSource: string | null }[];
      }>('soap_lite_multi_refs.pl', r);
      expect(out.references, 'SOAP::Lite sent references').to.be.above(0);
      expect(out.statuses).to.deep.equal(['CREATED', 'CREATED', 'CREATED']);
      expect(out.people).to.deep.equal(
        Array(3).fill({ Company: 'Acme', LeadSource: 'Perl import' }),
      );
    });

    it('values outside ASCII, sent as xsd:base64Binary by its autotyping (or as text without it), are stored as their text', async () => {
      const r = await run('perl', [
        NON_ASCII,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<{
        base64: number;
        returned: Record<string, string>;
        stored: Record<string, string>;
        untyped: Record<string, string>;
      }>('soap_lite_non_ascii.pl', r);
      expect(out.base64, 'SOAP::Lite wrote the four as base64Binary').to.equal(4);
      const expected = {
        City: '東京',
        Company: 'Grüße GmbH',
        FirstName: 'Zoë',
        LastName: 'Müller',
        Title: 'Plain ASCII',
      };
      expect(out.returned, 'syncLead returnLead').to.deep.equal(expected);
      expect(out.stored, 'getLead').to.deep.equal(expected);
      // Untyped, a Perl byte string is written as the characters Perl holds: its bytes each a
      // character of ISO-8859-1, which the service stores as sent.
      expect(out.untyped, 'autotype(0): written as text').to.deep.equal({
        ...expected,
        Company: Buffer.from('Grüße GmbH', 'utf8').toString('latin1'),
      });
    });

    it('lists given as Perl array references (SOAP-ENC arrays of items): records, attributes, keys, activity types, key lists', async () => {
      const r = await run('perl', [
        ARRAY_REFS,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<{
        arrays: number;
        statuses: string[];
        ids: number[];
        found: { id: number; FirstName: string; City: string }[];
        changed: number[];
        merge: string;
        empty: { sync: string; activities: number; fields: string[] };
      }>('soap_lite_array_refs.pl', r);
      expect(out.arrays, 'SOAP::Lite sent SOAP-ENC arrays').to.equal(14);
      expect(out.statuses).to.deep.equal(['CREATED', 'CREATED', 'CREATED']);
      expect(out.found).to.deep.equal(
        out.ids.map((id) => ({ id, FirstName: 'Perl', City: 'Lisbon' })),
      );
      expect(out.changed, 'their New Lead activities').to.deep.equal(out.ids);
      expect(out.merge).to.equal('MERGED');
      // Empty lists: a lead created with no attribute, its activity unfiltered, every field.
      expect(out.empty).to.deep.equal({
        sync: 'CREATED',
        activities: 1,
        fields: ['Unsubscribed'],
      });
    });

    it('getMultipleLeads (keys paged, update date), getLeadChanges, mergeLeads, deleteLead, listMObjects, describeMObject; an unserved operation a fault', async () => {
      const r = await run('perl', [
        OPERATIONS,
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<OperationsRun>('soap_lite_operations.pl', r);
      expect(out.client).to.match(/^SOAP::Lite \d/);
      const [a, b, c, d] = out.ids as [number, number, number, number];
      expect(out.byKeys, 'two a page, the position passed back').to.deep.equal([
        { returnCount: 2, remainingCount: 1, ids: [a, b] },
        { returnCount: 1, remainingCount: 0, ids: [c] },
      ]);
      expect(out.byUpdate, 'updated since a minute ago').to.include.members([a, b, c, d]);
      expect(out.changes, 'their New Lead activities').to.include.members([a, c, d]);
      expect(out.merge).to.deep.equal({ status: 'MERGED', winner: a, losers: [b] });
      expect(out.deleted).to.deep.equal({ count: 1 });
      expect(out.objects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
      expect(out.described.LeadRecord).to.include.members(['Id', 'Email', 'Unsubscribed']);
      expect(out.described.ActivityRecord).to.include.members(['id', 'campaign', 'mktPersonId']);
      expect(out.unserved, 'requestCampaign').to.equal('20019');
    });
  });
}
