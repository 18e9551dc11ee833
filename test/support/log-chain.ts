/**
 * What a person's log must tell of its flag, whatever ran at once: its Unsubscribed changes,
 * oldest first, each from the value the one before it left, none to the value it had (rule 7),
 * the last to the flag it holds now. A person that won a merge is left out: the losers' logs
 * joined its own.
 */
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { loggedChangesOf } from './durable-model-log.js';

const valueOf = (attributes: Array<[string, string]>, name: string) =>
  attributes.find(([n]) => n === name)?.[1];

/** Checks the log of each of `people` (id and current flag) against its flag. */
export async function expectLogsTellFlags(
  s: Services,
  people: ReadonlyArray<{ id: number; unsubscribed: boolean }>,
): Promise<void> {
  for (const person of people) {
    const flags: Array<{ from?: string; to?: string }> = [];
    let merged = false;
    let offset: string | undefined;
    for (;;) {
      const page = await s.activities.listForLead(
        { keyType: 'IDNUM', keyValue: String(person.id) },
        { batchSize: 100, ...(offset ? { start: { offset } } : {}) },
      );
      for (const a of page.activities) {
        if (a.activityType === 'Merge Leads') merged = true;
        if (a.activityType !== 'Change Data Value') continue;
        if (valueOf(a.attributes, 'Attribute Name') !== 'Unsubscribed') continue;
        flags.push({
          from: valueOf(a.attributes, 'Old Value'),
          to: valueOf(a.attributes, 'New Value'),
        });
      }
      if (page.remainingCount === 0) break;
      offset = page.newStartPosition.offset;
    }
    if (merged) continue;
    flags.reverse();
    const told = `lead ${person.id}: ${JSON.stringify(flags)}`;
    for (const [i, f] of flags.entries()) {
      expect(f.from, told).to.not.equal(f.to);
      if (i > 0) expect(f.from, told).to.equal(flags[i - 1]!.to);
    }
    if (flags.length > 0)
      expect(flags[flags.length - 1]!.to, told).to.equal(String(person.unsubscribed));
  }
}

/**
 * Each of `people`, holding the address from before its first status change, logged every
 * change of the status's value in `history` (oldest first) as one change of its flag, in the
 * history's order: the commit order.
 */
export async function expectFollowedEveryChange(
  s: Services,
  history: ReadonlyArray<{ unsubscribed: boolean }>,
  people: readonly number[],
): Promise<void> {
  const changes: string[] = [];
  let value = false;
  for (const h of history)
    if (h.unsubscribed !== value) changes.push(String((value = h.unsubscribed)));
  for (const id of people)
    expect(
      (await loggedChangesOf(s, id)).changes
        .filter((c) => c.attribute === 'Unsubscribed')
        .map((c) => c.to),
      `lead ${id}`,
    ).to.deep.equal(changes);
}
