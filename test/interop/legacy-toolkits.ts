import fs from 'node:fs';
import { expect } from 'chai';
import { REASON_PROPAGATED, REASON_WEB_SERVICE } from './worked-example.js';

/**
 * What each old toolkit's client (test/interop/clients: SOAP::Lite, suds, Axis 1.4) reports of
 * one run against the service, as the toolkit itself read the answers: values are the text (or
 * number) the toolkit gave, never re-read from the wire by the test.
 */
export interface LegacyLead {
  id: number;
  email: string | null;
  unsubscribed: string | null;
  firstName: string | null;
}

export interface LegacyRun {
  client: string;
  /** syncMultipleLeads (dedupEnabled): Ann, Bob, and a record naming an attribute nobody has. */
  batch: { leadId: number; status: string }[];
  /** syncLead of " ANN…@EXAMPLE.COM " with MktowsContextHeader targetWorkspace East. */
  east: { leadId: number; status: string };
  /** getLead EMAIL Ann's address before the unsubscribe. */
  before: { count: number; leads: LegacyLead[] };
  /** syncLead by Ann's Id with Unsubscribed=true, returnLead=true. */
  unsubscribe: { leadId: number; status: string; returned: string | null };
  after: { count: number; leads: LegacyLead[] };
  bob: { count: number; leads: LegacyLead[] };
  /** The newest Change Data Value of Unsubscribed of Ann (a) and of the East person. */
  change: {
    a: { oldValue: string | null; newValue: string | null; reason: string | null } | null;
    east: { oldValue: string | null; newValue: string | null; reason: string | null } | null;
  };
  /** Ann's activities a page of one at a time, the second page from the first's newStartPosition. */
  pages: { returnCount: number; remainingCount: number; ids: number[]; types: string[] }[];
  /** getLead EMAIL of an address nobody has. */
  fault: { faultcode: string; faultstring: string; code: string | number | null } | null;
}

export function expectLegacyRun(run: LegacyRun): void {
  // syncMultipleLeads: each record its own status, the bad one FAILED alone
  expect(
    run.batch.map((s) => s.status),
    'syncMultipleLeads',
  ).to.deep.equal(['CREATED', 'CREATED', 'FAILED']);
  const [ann, bob] = run.batch;
  expect(ann!.leadId, 'Ann and Bob are two leads').to.not.equal(bob!.leadId);
  expect(run.east.status, 'East lead').to.equal('CREATED');
  const east = run.east.leadId;
  expect([ann!.leadId, bob!.leadId], 'East lead is a lead of its own').to.not.include(east);

  // getLead EMAIL: both people with the address, any case, subscribed
  expect(run.before.count, 'getLead before').to.equal(2);
  expect(run.before.leads.map((l) => l.id)).to.deep.equal([ann!.leadId, east]);
  expect(run.before.leads.map((l) => l.unsubscribed)).to.deep.equal(['0', '0']);
  expect(run.before.leads[0]!.firstName).to.equal('Ann');

  // syncLead unsubscribe: UPDATED, the returned record says so, East follows, Bob does not
  expect(run.unsubscribe).to.deep.equal({ leadId: ann!.leadId, status: 'UPDATED', returned: '1' });
  expect(run.after.count, 'getLead after').to.equal(2);
  expect(
    run.after.leads.map((l) => [l.id, l.unsubscribed]),
    'both people with the address unsubscribed',
  ).to.deep.equal([
    [ann!.leadId, '1'],
    [east, '1'],
  ]);
  expect(
    run.bob.leads.map((l) => [l.id, l.unsubscribed]),
    'Bob untouched',
  ).to.deep.equal([[bob!.leadId, '0']]);

  // getLeadActivity: who changed it and why
  expect(run.change.a, "Ann's Change Data Value").to.deep.equal({
    oldValue: 'false',
    newValue: 'true',
    reason: REASON_WEB_SERVICE,
  });
  expect(run.change.east, "the East person's Change Data Value").to.deep.equal({
    oldValue: 'false',
    newValue: 'true',
    reason: REASON_PROPAGATED,
  });

  // paging by the newStartPosition the toolkit read and sent back: the next activity, once
  const [first, second] = run.pages;
  expect(first!.returnCount, 'first page').to.equal(1);
  expect(first!.remainingCount, 'first page').to.be.above(0);
  expect(second!.returnCount, 'second page').to.equal(1);
  expect(second!.remainingCount, 'second page').to.equal(first!.remainingCount - 1);
  expect(second!.ids[0], 'the second page is the next activity').to.be.below(first!.ids[0]!);
  expect(first!.types, 'newest first').to.deep.equal(['Change Data Value']);

  // a fault the toolkit can read
  expect(run.fault, 'getLead of nobody faults').to.not.equal(null);
  expect(run.fault!.faultstring).to.equal('20103 - Lead not found');
  expect(run.fault!.faultcode).to.match(/(^|[:}])Client$/);
  expect(String(run.fault!.code)).to.equal('20103');
}

/**
 * What an old toolkit's operations program (soap4r_operations.rb, soap_wsdl_operations.pl)
 * reports: four people made, then read back through the other served operations.
 */
export interface OperationsRun {
  ids: number[];
  /** getMultipleLeads by LeadKeySelector, two a page, the position the toolkit read passed back. */
  byKeys: { returnCount: number; remainingCount: number; ids: number[] }[];
  /** getMultipleLeads by LastUpdateAtSelector. */
  byUpdate: number[];
  /** getLeadChanges: the people of the New Lead activities, paged to the end. */
  changes: number[];
  merge: { status: string; winner: number; losers: number[] };
  deleted: { count: number; leadIds: number[] };
  objects: string[];
  described: Record<string, string[]>;
  /** The vendor code of requestCampaign's fault. */
  unserved: string | null;
}

export function expectOperationsRun(out: OperationsRun): void {
  const [a, b, c, d] = out.ids as [number, number, number, number];
  expect(out.byKeys, 'two a page, the position passed back').to.deep.equal([
    { returnCount: 2, remainingCount: 1, ids: [a, b] },
    { returnCount: 1, remainingCount: 0, ids: [c] },
  ]);
  expect(out.byUpdate, 'updated in the last hour').to.include.members([a, b, c, d]);
  expect(out.changes, 'their New Lead activities').to.deep.equal([a, b, c, d]);
  expect(out.merge).to.deep.equal({ status: 'MERGED', winner: a, losers: [b] });
  expect(out.deleted).to.deep.equal({ count: 1, leadIds: [d] });
  expect(out.objects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
  expect(out.described.LeadRecord).to.include.members(['Id', 'Email', 'Unsubscribed']);
  expect(out.described.ActivityRecord).to.include.members(['id', 'mktPersonId']);
  expect(out.unserved, 'requestCampaign').to.equal('20019');
}

/**
 * What a Python or PHP operations program (suds_operations.py, pysimplesoap_operations.py,
 * nusoap_operations.php) prints: three people made, then read back through the other served
 * operations.
 */
export interface OperationsReport {
  ids: number[];
  /** returnCount and remainingCount of two getMultipleLeads pages by LeadKeySelector. */
  getMultipleLeadsByKeys: number[];
  getMultipleLeadsByUpdate: number;
  getLeadChanges: number[];
  mergeLeads: { status: string; winner: number; losers: number[] };
  describeMObject: string[];
  listMObjects: string[];
  [more: string]: unknown;
}

export function expectOperationsReport(out: OperationsReport): void {
  const [a, b, c] = out.ids;
  expect(out.getMultipleLeadsByKeys).to.deep.equal([2, 1, 1, 0]);
  expect(out.getMultipleLeadsByUpdate).to.be.at.least(3);
  expect(out.getLeadChanges).to.deep.equal([a, b, c]);
  expect(out.mergeLeads).to.deep.equal({ status: 'MERGED', winner: b, losers: [c] });
  expect(out.describeMObject).to.deep.equal(['Id', 'Email']);
  expect(out.listMObjects).to.deep.equal(['ActivityRecord', 'LeadRecord']);
}

/**
 * What a compiled client's operations program (Axis1Operations, AsmxOperations) reports: three
 * people made, then read back through the other served operations as the generated stubs read
 * them.
 */
export interface StubOperationsRun {
  ids: number[];
  byKeys: { returnCount: number; remainingCount: number; position: boolean; ids: number[] }[];
  byUpdate: { returnCount: number; remainingCount: number; position: boolean; ids: number[] };
  staticList: string | null;
  /** [activity id, mktPersonId, activityType] of each change, in the order read. */
  changes: [number, string, string][];
  merge: {
    status?: string;
    winningLeadId?: number;
    losingLeadIdList?: number[];
    fault?: string | null;
  };
  delete: { count: number; leadIdList: number[]; again: string | null };
  /** The vendor code of requestCampaign's fault. */
  unserved: string | null;
  described: { name: string; fields: string[] }[];
}

export function expectStubOperationsRun(out: StubOperationsRun): void {
  const [a, b, c] = out.ids as [number, number, number];
  expect(out.byKeys, 'two a page, the position passed back').to.deep.equal([
    { returnCount: 2, remainingCount: 1, position: true, ids: [a, b] },
    { returnCount: 1, remainingCount: 0, position: false, ids: [c] },
  ]);
  expect(out.byUpdate.ids, 'updated since a minute ago').to.include.members([a, b, c]);
  expect(out.staticList, 'no static lists are kept').to.equal('20111');
  const changed = out.changes.map(([, person]) => Number(person));
  expect(changed.filter((id) => [a, b, c].includes(id))).to.deep.equal([a, b, c]);
  expect(new Set(out.changes.map(([id]) => id)).size, 'no change twice').to.equal(
    out.changes.length,
  );
  expect(out.merge).to.deep.equal({ status: 'MERGED', winningLeadId: b, losingLeadIdList: [c] });
  expect(out.delete, 'the first deleted; the merged-away third is no one').to.deep.equal({
    count: 1,
    leadIdList: [a],
    again: '20103',
  });
  expect(out.unserved, 'a declared operation not served').to.equal('20019');
  expect(out.described.map((d) => d.name)).to.deep.equal(['ActivityRecord', 'LeadRecord']);
  for (const d of out.described) expect(d.fields, d.name).to.have.length.above(0);
}

/**
 * For a suite's before(): whether the toolkit is installed. Absent, it skips with the reason
 * shown; under CI=true it fails instead, since .ci/run installs it.
 */
export function toolkitOrSkip(
  context: Pick<Mocha.Context, 'skip'>,
  paths: readonly string[],
  install: string,
): void {
  const missing = paths.filter((p) => !fs.existsSync(p));
  if (missing.length === 0) return;
  const why = `${missing.join(', ')} not found (apt-get install ${install})`;
  if (process.env.CI === 'true') throw new Error(why);
  console.log(`      (skipped: ${why})`);
  context.skip();
}
