/**
 * The console's filtered export (SuppressionService.exportFiltered) while statuses change
 * between its pages: every address the filter keeps throughout is written exactly once, none
 * skipped because its change moved it before the pages read, none written twice because its
 * change moved it after them.
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Transactions } from '../../src/domain/ports.js';
import { SuppressionService } from '../../src/domain/suppression.service.js';
import { testEngines } from '../support/database.js';
import { harnessPerSuite, type Harness } from '../support/harness.js';

/** `tx`, whose second read (the export's second page) first awaits `between`. */
function changingBeforeSecondPage(tx: Transactions, between: () => Promise<void>): Transactions {
  let reads = 0;
  return new Proxy(tx, {
    get(target, name) {
      if (name === 'read')
        return async <T>(work: Parameters<Transactions['read']>[0]): Promise<T> => {
          if (++reads === 2) await between();
          return target.read(work) as Promise<T>;
        };
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

const DAY = 24 * 60 * 60 * 1000;

for (const engine of testEngines()) {
  describe(`the console's filtered export while statuses change (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    let round = 0;

    /** Five suppressions, a day apart (newest: e4), with a person at each address. */
    async function fiveAddresses(): Promise<string[]> {
      const domain = `r${++round}.export.example`;
      const emails = Array.from({ length: 5 }, (_, i) => `e${i}@${domain}`);
      const base = h.clock.t - 30 * DAY;
      async function* rows() {
        for (const [i, email] of emails.entries())
          yield { line: i + 2, email, date: new Date(base + i * DAY).toISOString() };
      }
      await h.services.suppressions.import(rows());
      return emails;
    }

    async function exported(between: () => Promise<void>, address: string): Promise<string[]> {
      const exporter = new SuppressionService(
        changingBeforeSecondPage(new UnitOfWork(h.db), between),
        h.services.durableStatus,
        h.clock.now,
      );
      const out: string[] = [];
      for await (const row of exporter.exportFiltered({ addressContains: address }, 2))
        out.push(row.emailKey);
      return out;
    }

    it('an address not yet written that changes meanwhile is written once', async () => {
      const emails = await fiveAddresses();
      // The oldest suppression is lifted and made again: its date is now the newest.
      const oldest = emails[0]!;
      const rows = await exported(async () => {
        for (const unsubscribed of [false, true])
          await h.services.durableStatus.setAddressStatus({
            address: oldest,
            unsubscribed,
            path: ChangePaths.addressStatus('ops'),
            reason: 'asked by phone',
            confirmProtected: false,
          });
      }, `r${round}.export.example`);
      expect([...rows].sort()).to.deep.equal([...emails].sort());
    });

    it('an address written already that changes meanwhile is not written again', async () => {
      const emails = await fiveAddresses();
      const moved = emails[4]!;
      // The newest suppression is lifted, then suppressed again by a list dated before all.
      const rows = await exported(async () => {
        await h.services.durableStatus.setAddressStatus({
          address: moved,
          unsubscribed: false,
          path: ChangePaths.addressStatus('ops'),
          reason: 'asked by phone',
          confirmProtected: false,
        });
        async function* list() {
          yield { line: 2, email: moved, date: new Date(h.clock.t - 300 * DAY).toISOString() };
        }
        await h.services.suppressions.import(list());
      }, `r${round}.export.example`);
      expect([...rows].sort()).to.deep.equal([...emails].sort());
    });
  });
}
