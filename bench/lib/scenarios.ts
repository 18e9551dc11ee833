/**
 * The load scenarios: what each sends, and the check that the service's answer is the work
 * described (not a fault, no FAILED record).
 */
import type { Sizes } from './figures.js';
import { ONE_CLICK_BODY, ONE_CLICK_TYPE, oneClickPaths } from './one-click.js';
import { envelope, getLeadActivity, getLeadByEmail, syncLead, syncMultipleLeads } from './soap.js';

/** A rotation of request bodies; each target gets its own, so writes stay real changes. */
export type BodySource = () => () => string;

export interface Scenario {
  name: string;
  title: string;
  operation: string;
  recordsPerCall: number;
  bodies: BodySource;
  /** Checks the service's answer really is the work described (not a fault, no FAILED record). */
  check: (body: string) => void;
  /** Not SOAP: a form POST, each target with its own rotation of paths. */
  form?: { contentType: string; paths: () => () => string };
}

export function expect(ok: boolean, what: string, body: string): void {
  if (!ok) throw new Error(`${what}: ${body.slice(0, 500)}`);
}

/** The scenarios over the seeded people (`activityLead`: the lead with a long history). */
export function loadScenarios(sizes: Sizes, activityLead: number): Scenario[] {
  return [
    {
      name: 'getLead',
      title: 'getLead by email',
      operation: 'getLead',
      recordsPerCall: 1,
      bodies: () => {
        let i = 0;
        return () => envelope(getLeadByEmail(`get-${i++ % sizes.getPool}@bench.example`));
      },
      check: (b) => expect(b.includes('<count>1</count>'), 'getLead', b),
    },
    {
      name: 'syncLeadNoChange',
      title: 'syncLead that changes nothing',
      operation: 'syncLead',
      recordsPerCall: 1,
      bodies: () => {
        let i = 0;
        return () => {
          const n = i++ % sizes.getPool;
          return envelope(
            syncLead({
              email: `get-${n}@bench.example`,
              attrs: {
                FirstName: `First${n}`,
                LastName: 'Bench',
                Company: 'Bench Corp',
                Unsubscribed: 'false',
              },
            }),
          );
        };
      },
      check: (b) => expect(b.includes('<status>UPDATED</status>'), 'syncLead', b),
    },
    {
      name: 'syncLeadUnsubscribe',
      title: `syncLead that unsubscribes (address of ${sizes.unsubPeople} people: ${sizes.unsubPeople - 1} follow)`,
      operation: 'syncLead',
      recordsPerCall: 1,
      bodies: () => {
        // Each address in turn; an address's flag alternates, so every call changes it
        // (odd visits re-subscribe, which costs the same: one master change, N-1 followers).
        let i = 0;
        return () => {
          const a = i % sizes.unsubAddresses;
          const visit = Math.floor(i++ / sizes.unsubAddresses);
          return envelope(
            syncLead({
              email: `unsub-${a}@bench.example`,
              attrs: { Unsubscribed: String(visit % 2 === 0) },
            }),
          );
        };
      },
      check: (b) => expect(b.includes('<status>UPDATED</status>'), 'syncLead', b),
    },
    {
      name: 'getLeadActivity',
      title: 'getLeadActivity, one page of 100',
      operation: 'getLeadActivity',
      recordsPerCall: 1,
      bodies: () => {
        const xml = getLeadActivity(activityLead);
        return () => envelope(xml);
      },
      check: (b) => expect(b.includes('<returnCount>100</returnCount>'), 'getLeadActivity', b),
    },
    {
      name: 'syncMultipleLeads',
      title: 'syncMultipleLeads, 300 records (updates by email)',
      operation: 'syncMultipleLeads',
      recordsPerCall: 300,
      bodies: () => {
        let i = 0;
        return () => {
          const block = i % sizes.multiBlocks;
          const visit = Math.floor(i++ / sizes.multiBlocks);
          const records = Array.from({ length: 300 }, (_, j) => ({
            email: `multi-${block * 300 + j}@bench.example`,
            attrs: { FirstName: `V${visit}`, LastName: 'Bench', Company: 'Bench Corp' },
          }));
          return envelope(syncMultipleLeads(records));
        };
      },
      check: (b) =>
        expect(
          !b.includes('FAILED') && (b.match(/<status>UPDATED<\/status>/g) ?? []).length === 300,
          'syncMultipleLeads',
          b,
        ),
    },
    {
      name: 'oneClick',
      title: 'one-click unsubscribe POST (RFC 8058), a new address each (no person holds it)',
      operation: 'oneClick',
      recordsPerCall: 1,
      bodies: () => () => ONE_CLICK_BODY,
      form: { contentType: ONE_CLICK_TYPE, paths: oneClickPaths },
      check: (b) => expect(b === 'Unsubscribed.\n', 'oneClick', b),
    },
  ];
}
