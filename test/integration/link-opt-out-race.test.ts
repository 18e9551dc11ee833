/**
 * A one-click POST (a mailbox provider's) of an address a link's page unsubscribed already is
 * acknowledged in two steps: the check (unsubscribed already, nothing changes) and the record
 * that takes the status over from the page (acknowledged-opt-outs.ts). The page's undo may
 * commit between them: the acknowledged opt-out must survive it.
 */
import { expect } from 'chai';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { LinkUnsubscribeService } from '../../src/domain/link-unsubscribe.service.js';
import type { Transactions } from '../../src/domain/ports.js';
import { testEngines } from '../support/database.js';
import { createLead, getLead, harnessPerSuite, type Harness } from '../support/harness.js';

const WINDOW = 60 * 60 * 1000;

/** `tx`, whose next write first runs `before` (another request committing in between). */
function writesAfter(tx: Transactions, before: () => Promise<void>): Transactions {
  let pending: (() => Promise<void>) | null = before;
  return new Proxy(tx, {
    get(target, name) {
      if (name === 'write')
        return async <T>(work: Parameters<Transactions['write']>[0]): Promise<T> => {
          const run = pending;
          pending = null;
          if (run) await run();
          return target.write(work) as Promise<T>;
        };
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

for (const engine of testEngines()) {
  describe(`a link's opt-out acknowledged while the page's undo commits (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    for (const via of ['one-click', 'page'] as const) {
      it(`${via}: the undo lands between its check and its record; the address ends unsubscribed`, async () => {
        const s = h.services;
        const email = `race-${via}@link.example`;
        const lead = await createLead(s, email);
        const page = { email, linkId: 'aaaaaaaaaaaaaaaa', list: null };
        const other = { email, linkId: 'bbbbbbbbbbbbbbbb', list: null };
        expect((await s.links.unsubscribe(page, 'page')).changed).to.equal(true);
        const undo = async () => {
          const r = await s.links.resubscribe(page, WINDOW, () => true);
          expect(r.outcome).to.equal('resubscribed');
        };
        const racing = new LinkUnsubscribeService(
          writesAfter(new UnitOfWork(h.db), undo),
          s.durableStatus,
          h.clock.now,
        );
        // Another link (a one-click POST, or another page) states the opt-out: it is answered
        // as done, so it must hold.
        await racing.unsubscribe(other, via);
        expect((await s.links.state(page)).unsubscribed).to.equal(true);
        expect((await getLead(s, lead)).unsubscribed).to.equal(true);
        // The page's undo can no longer lift it.
        expect((await s.links.resubscribe(page, WINDOW, () => true)).outcome).to.not.equal(
          'resubscribed',
        );
        expect(await s.durableStatus.findViolations()).to.deep.equal([]);
      });
    }
  });
}
