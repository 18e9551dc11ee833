/**
 * getMultipleLeads by LastUpdateAtSelector (LeadService.listUpdated) pages by (updatedAt, id),
 * and a change's updatedAt is stamped inside its transaction, not when it commits: A stamps,
 * B stamps later and commits first. A page that served B, and a position past it, must not
 * leave A (committed later, stamped earlier) behind for good: a legacy integration mirroring
 * opt-outs by this selector would never see it. Whatever a paging run serves, every change
 * stamped at or before the last one it served is in it.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { createLead, harnessPerSuite, type Harness } from '../support/harness.js';
import { signal } from '../support/signal.js';
import { pageUpdated, type Served } from '../support/last-update-paging.js';
import type { Services } from '../../src/domain/services.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const web = { path: ChangePaths.webService() };

/** One paging run from `oldest`, a lead a page, to its end (nothing remaining). */
async function pageToEnd(s: Services, oldest: number): Promise<Served[]> {
  return (await pageUpdated(s, oldest)).served;
}

/** Every person changed from `oldest` and stamped up to the last position `served` reached. */
function stampedBy(s: Services, oldest: number, served: Served[]) {
  const reach = Math.max(0, ...served.map((x) => x.at));
  return s.leads.listUpdated({ oldest, latest: reach }, null, 100);
}

for (const engine of testEngines()) {
  describe(`LastUpdateAt paging against commit order (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    it('a change stamped before the position and committed after the page is not skipped', async () => {
      const s = h.services;
      const a = await createLead(s, 'stamped-first@order.example');
      const b = await createLead(s, 'committed-first@order.example');
      const oldest = h.clock.t;
      const { wait: held, fire: release } = signal();
      const { wait: reached, fire: stamped } = signal();
      // A: stamped now, its transaction held open until released.
      const first = new UnitOfWork(h.db).write(async (repos) => {
        await s.leads.syncWithin(
          repos,
          { id: a, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          web,
        );
        stamped();
        await held;
      });
      await reached;
      // B: stamped after A, committed first (where the store lets it: one SQLite writer waits).
      const second = s.leads.sync(
        { id: b, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        web,
      );
      await Promise.race([second, pause(500)]);
      setTimeout(release, 300);
      // One paging run, a lead a page, to its end (nothing remaining).
      const served = await pageToEnd(s, oldest);
      await Promise.all([first, second]);
      // Every change stamped up to the run's last position was served by the run.
      const all = await stampedBy(s, oldest, served);
      expect(served.map((x) => x.id)).to.include.members(all.leads.map((l) => l.id));
    });

    it('a change stamped before its BEGIN, committed after a page, is served by a page', async () => {
      const s = h.services;
      const a = await createLead(s, 'stamped-unbegun@order.example');
      const b = await createLead(s, 'begun-later@order.example');
      const oldest = h.clock.t;
      // A's write is a checked step: its work stamps it at once, and its BEGIN goes with its
      // group's message once a connection is had (PostgreSQL) or with its group's first
      // message (SQLite). That connection is held back until released: stamped, not begun.
      const client = h.db.knex.client as { acquireConnection(): Promise<unknown> };
      const acquire = client.acquireConnection.bind(client);
      const { wait: released, fire: release } = signal();
      let held = false;
      const { wait: reached, fire: holding } = signal();
      const stub = sinon.stub(client, 'acquireConnection').callsFake(async () => {
        const stack = new Error().stack ?? '';
        if (!held && /runGroup|commitSteps/.test(stack)) {
          held = true;
          holding();
          await released;
        }
        return acquire();
      });
      try {
        const first = s.leads.sync(
          { id: a, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          web,
        );
        await Promise.race([reached, first]);
        // B: stamped after A, a unit of its own (not a step: those queue behind A's group),
        // begun and committed first (on SQLite, after A: one writer, in order).
        const second = new UnitOfWork(h.db).write((repos) =>
          s.leads.syncWithin(
            repos,
            { id: b, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            web,
          ),
        );
        await Promise.race([second, pause(500)]);
        setTimeout(release, 300);
        const served = await pageToEnd(s, oldest);
        release();
        await Promise.all([first, second]);
        const all = await stampedBy(s, oldest, served);
        // PostgreSQL: B was served, past A's stamp. SQLite: one writer, in order: B (and the
        // page's own settling) waited for A's group, in which A stamps, after the page began.
        if (engine.name === 'postgres') expect(all.leads.map((l) => l.id)).to.include(b);
        expect(served.map((x) => x.id)).to.include.members(all.leads.map((l) => l.id));
      } finally {
        release();
        stub.restore();
      }
    });

    it('a batch planned on a read (SQLite) stamped before its step, committed after a page, is served by a page', async function () {
      // PostgreSQL writes a batch in its own transaction, stamped inside it (above).
      if (engine.name !== 'sqlite') this.skip();
      const s = h.services;
      const a = await createLead(s, 'batch-planned@order.example');
      const b = await createLead(s, 'batch-after@order.example');
      const oldest = h.clock.t;
      const { wait: released, fire: release } = signal();
      const { wait: reached, fire: stamped } = signal();
      // A: planned (and stamped) over the batch's read, its checked step held back.
      const first = new UnitOfWork(h.db).writeChecked!(
        { ids: [a], foreignIds: [], emailKeys: [] },
        async (batch) => {
          const out = await s.leads.syncWithin(
            batch.repos,
            { id: a, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            web,
          );
          stamped();
          await released;
          return out;
        },
      );
      await reached;
      // B: stamped after A, committed first.
      await s.leads.sync({ id: b, attributes: [{ name: 'Unsubscribed', value: 'true' }] }, web);
      setTimeout(release, 300);
      let served: Served[];
      try {
        served = await pageToEnd(s, oldest);
      } finally {
        release();
      }
      expect(await first).to.not.equal(null);
      const all = await stampedBy(s, oldest, served);
      expect(all.leads.map((l) => l.id)).to.include(b);
      expect(served.map((x) => x.id)).to.include.members(all.leads.map((l) => l.id));
    });
  });
}
