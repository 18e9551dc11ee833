/**
 * Every path that changes a status, at once, on a few shared addresses, through several
 * instances of the service (PostgreSQL: pools of their own; SQLite: connections of their own
 * on one file): syncLead by id and by address, syncMultipleLeads, mergeLeads, deletes, address
 * changes, Salesforce notifications, one-click links, suppression lists and the operator's
 * address form, the addresses spelled every way that is one mailbox. The hammer of
 * concurrency.test.ts covers the sync paths; this adds the others. Afterwards every person
 * agrees with its address's status, and each status is its newest history entry.
 */
import { expect } from 'chai';
import type { Services } from '../../src/compose.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { listRows } from '../support/suppression-list.js';
import { expectAddressesSettled, seedRaceLeads } from '../support/hammer.js';
import { idKey, openHarness, web, type Harness } from '../support/harness.js';
import { seeded } from '../support/seeded.js';
import { leadRecordId, ORG_ID } from '../salesforce/support.js';

const ADDRESSES = ['xp-0@example.com', 'xp-1@example.com', 'xp-2@bücher.de'];

/** Spellings of one mailbox (email-key.ts): case, blanks, quotes, a trailing dot, Punycode. */
function spellingOf(address: string, r: number): string {
  const [local, domain] = address.split('@') as [string, string];
  const puny = domain.replace('bücher', 'xn--bcher-kva');
  return [address, ` ${address.toUpperCase()} `, `"${local}"@${domain}.`, `${local}@${puny}`][
    Math.floor(r * 4)
  ]!;
}

/** What may refuse a call when others delete its people first: nothing else may fail. */
const expected = (e: unknown) => e instanceof AppError && e.code === ErrorCode.LEAD_NOT_FOUND;

for (const engine of testEngines()) {
  describe(`every status path at once (${engine.name})`, function () {
    this.timeout(120000);
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(engine);
    });
    afterEach(() => h.drop());

    it('160 calls across every path and several instances keep every address settled', async () => {
      const instances: Services[] =
        engine.name === 'postgres'
          ? [h.openAnother(), h.openAnother(), h.openAnother()]
          : [h.openAnother(), h.openAnother()];
      const ids = await seedRaceLeads(h.services, ADDRESSES);
      const rnd = seeded(20261204);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const spelled = () => spellingOf(pick(ADDRESSES), rnd());
      const ops: Array<() => Promise<unknown>> = [];
      let notes = 0;
      for (let i = 0; i < 160; i++) {
        const s = instances[i % instances.length]!;
        const value = String(rnd() < 0.5);
        const id = pick(ids);
        const email = spelled();
        const flag = [{ name: 'Unsubscribed', value }];
        switch (Math.floor(rnd() * 9)) {
          case 0:
            ops.push(() => s.leads.sync({ id, attributes: flag }, { path: web }));
            break;
          case 1:
            ops.push(() => s.leads.sync({ email, attributes: flag }, { path: web }));
            break;
          case 2: {
            const other = spelled();
            ops.push(async () => {
              const answers = await s.leads.syncMany(
                [
                  { email, attributes: flag },
                  { id: pick(ids), email: other, attributes: [{ name: 'Email', value: other }] },
                  {
                    email: other,
                    attributes: [{ name: 'Unsubscribed', value: String(rnd() < 0.5) }],
                  },
                ],
                { path: web },
              );
              for (const a of answers) if (a instanceof Error && !expected(a)) throw a;
            });
            break;
          }
          case 3: {
            const loser = pick(ids);
            if (loser !== id) ops.push(() => s.merges.merge([idKey(id)], [[idKey(loser)]], web));
            break;
          }
          case 4:
            ops.push(() =>
              s.salesforce.apply(ORG_ID, [
                {
                  notificationId: `04l${String(++notes).padStart(15, '0')}`,
                  record: {
                    recordId: leadRecordId(900 + Math.floor(rnd() * 3)),
                    objectType: 'Lead',
                    changedAt: null,
                    fields: { Email: email, Unsubscribed: value },
                  },
                },
              ]),
            );
            break;
          case 5:
            ops.push(() => s.links.unsubscribe({ email, linkId: 'xp', list: null }, 'one-click'));
            break;
          case 6:
            ops.push(() => s.suppressions.import(listRows([{ email }])));
            break;
          case 7:
            ops.push(() =>
              s.durableStatus.setAddressStatus({
                address: email,
                unsubscribed: value === 'true',
                path: ChangePaths.addressStatus('alice'),
                reason: 'Asked by phone',
                confirmProtected: true,
              }),
            );
            break;
          default:
            ops.push(() =>
              rnd() < 0.5 ? s.leads.changeEmail(id, email, web) : s.leads.delete(idKey(id), web),
            );
        }
      }
      const settled = await Promise.allSettled(ops.map((op) => op()));
      const failures = settled
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason as unknown)
        .filter((e) => !expected(e))
        .map((e) => String((e as Error).stack ?? e));
      expect(failures).to.deep.equal([]);
      // Most calls found their people: the race was real, not a string of refusals.
      const done = settled.filter((r) => r.status === 'fulfilled').length;
      expect(done, `${done} of ${ops.length} done`).to.be.above(ops.length * 0.6);
      await expectAddressesSettled(h.services, ADDRESSES);
    });
  });
}
