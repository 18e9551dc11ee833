/**
 * The activity log as the durable model (durable-model.ts) checks it: each person's changes of
 * its flag and address, oldest first, as getLeadActivity answers them (newest first, page by
 * page) and their Change Data Value activities tell them.
 */
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import type { MLogged } from './durable-model-terms.js';

export type Logged = Omit<MLogged, 'lead' | 'step'>;

const ATTRIBUTES: ReadonlySet<string> = new Set(['Unsubscribed', 'Email Address']);
const VENDOR_ORDER = ['Attribute Name', 'Old Value', 'New Value', 'Reason', 'Source', 'Lead ID'];

const canonical = (entries: readonly Logged[]) =>
  entries.map((e) => JSON.stringify(e)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * `actual` (leadId's log as stored) as the model's `log` expects it: the same changes in the
 * same order, except that those of one operation may come in any order among themselves (one
 * request changes several people, a merge then joins their logs). No address is written as an
 * empty value. Returns what to compare: both sides, one operation's changes sorted.
 */
export function comparableLogs(
  log: readonly MLogged[],
  leadId: number,
  actual: readonly Logged[],
): { actual: string[][]; expected: string[][] } {
  const groups: Logged[][] = [];
  let last: number | null = null;
  for (const c of log) {
    if (c.lead !== leadId) continue;
    if (c.step !== last) groups.push([]);
    last = c.step;
    groups[groups.length - 1]!.push({
      attribute: c.attribute,
      from: c.from ?? '',
      to: c.to ?? '',
      why: c.why,
      source: c.source,
    });
  }
  let at = 0;
  const cut = groups.map((g) => actual.slice(at, (at += g.length)));
  if (at < actual.length) cut.push(actual.slice(at));
  return { actual: cut.map(canonical), expected: groups.map(canonical) };
}

const valueOf = (attributes: Array<[string, string]>, name: string) =>
  attributes.find(([n]) => n === name)?.[1] ?? null;

/**
 * Person `leadId`'s changes of its flag and address, oldest first, and how many New Lead
 * activities its log holds (its own, and those of the people merged into it).
 */
export async function loggedChangesOf(
  services: Services,
  leadId: number,
): Promise<{ changes: Logged[]; newLeads: number }> {
  const newestFirst: Logged[] = [];
  let newLeads = 0;
  let offset: string | undefined;
  for (;;) {
    const page = await services.activities.listForLead(
      { keyType: 'IDNUM', keyValue: String(leadId) },
      { batchSize: 100, ...(offset ? { start: { offset } } : {}) },
    );
    for (const a of page.activities) {
      if (a.activityType === 'New Lead') newLeads++;
      if (a.activityType !== 'Change Data Value') continue;
      const attribute = valueOf(a.attributes, 'Attribute Name');
      if (attribute === null || !ATTRIBUTES.has(attribute)) continue;
      // The vendor's attributes, in its order (a value absent when there is none), the Lead
      // ID the person's own.
      const names = a.attributes.map(([n]) => n);
      const told = JSON.stringify(a.attributes);
      expect(
        names.filter((n) => VENDOR_ORDER.includes(n)),
        told,
      ).to.deep.equal(VENDOR_ORDER.filter((n) => names.includes(n)));
      expect(names, told).to.include.members(['Reason', 'Source', 'Lead ID']);
      expect(valueOf(a.attributes, 'Lead ID'), told).to.equal(String(leadId));
      newestFirst.push({
        attribute: attribute as Logged['attribute'],
        from: valueOf(a.attributes, 'Old Value'),
        to: valueOf(a.attributes, 'New Value'),
        why: valueOf(a.attributes, 'Reason') ?? '',
        source: valueOf(a.attributes, 'Source') ?? '',
      });
    }
    if (page.remainingCount === 0) break;
    offset = page.newStartPosition.offset;
  }
  return { changes: newestFirst.reverse(), newLeads };
}
