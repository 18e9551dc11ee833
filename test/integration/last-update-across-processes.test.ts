/**
 * getMultipleLeads by LastUpdateAtSelector against a write of another process (another
 * instance on the PostgreSQL database, another of the WORKERS on the SQLite file): stamped
 * before a page of this process, begun and committed after it. The page cannot wait for it
 * (no process here has taken it up, no transaction of it is in flight); a client that pages
 * on from its high-water mark must still be served it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { openDatabase } from '../../src/data-access/database.js';
import { settleWrites } from '../../src/data-access/settle-writes.js';
import { testEngines } from '../support/database.js';
import { createLead, harnessPerSuite, web, type Harness } from '../support/harness.js';
import { pageUpdated } from '../support/last-update-paging.js';
import { pgMessagesWhile } from '../support/pg-messages.js';

/** Resolves with the child once it has printed `line`. */
function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const seen = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) {
        child.stdout!.off('data', seen);
        resolve();
      }
    };
    child.stdout!.on('data', seen);
    child.once('exit', (code) => reject(new Error(`child ended (${code}) before "${line}"`)));
  });
}

for (const engine of testEngines()) {
  describe(`LastUpdateAt paging against another process's write (${engine.name})`, function () {
    this.timeout(120000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    it('a change stamped by another process before a page, committed after it, is served from the high-water mark on', async () => {
      const s = h.services;
      const a = await createLead(s, 'other-process@order.example');
      const b = await createLead(s, 'this-process@order.example');
      const oldest = h.clock.t;
      // A: stamped now by the other process, written only once this process has paged.
      const stampA = h.clock.t++;
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'test/support/stamped-write-child.ts',
          h.url,
          h.dataDir,
          String(a),
          String(stampA),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      try {
        await printed(child, 'ready');
        // B: stamped after A, committed first, here.
        await s.leads.sync(
          { id: b, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: web },
        );
        h.clock.t += 10;
        const first = await pageUpdated(s, oldest);
        expect(first.served.map((x) => x.id)).to.include(b);
        // A begins and commits now, stamped before the position the run handed out.
        const done = printed(child, 'done');
        child.stdin!.write('go\n');
        await done;
        h.clock.t += 10;
        // The client comes back from its high-water mark: the last updatedAt (and position) served.
        const highWater = Math.max(...first.served.map((x) => x.at));
        const again = await pageUpdated(s, highWater, first.after);
        expect([...first.served, ...again.served].map((x) => x.id)).to.include(a);
      } finally {
        child.kill();
      }
    });

    it('a page raises the horizon in the message that looks for the writers in flight, committed before the look (PostgreSQL)', async function () {
      if (engine.name !== 'postgres') this.skip();
      const s = h.services;
      await createLead(s, 'one-message@order.example');
      const from = h.clock.t;
      const texts = await pgMessagesWhile(() =>
        s.leads.listUpdated({ oldest: from - 10, latest: null }, null, 1),
      );
      const raises = texts.filter((t) => t.includes('lead_update_horizon'));
      // One message: the raise in its own transaction, then the look (a writer that read the
      // horizon before it was raised holds its floor lock when the look runs).
      expect(raises).to.have.length(1);
      expect(raises[0]).to.match(
        /^BEGIN; UPDATE lead_update_horizon SET v = (\d+) WHERE id = 1 AND v < \1; COMMIT; SELECT DISTINCT c\.virtualtransaction /,
      );
      const row = (await h.db.knex('lead_update_horizon').where({ id: 1 }).first('v')) as {
        v: string | number;
      };
      expect(Number(row.v)).to.be.at.least(from - 1);
    });

    it('a raise that fails leaves no transaction open on its connection (PostgreSQL)', async function () {
      if (engine.name !== 'postgres') this.skip();
      // One connection: the next statement runs on the one the failed raise went on.
      const one = openDatabase({
        databaseUrl: h.url,
        dataDir: h.dataDir,
        sqliteBusyTimeoutMs: 1000,
        dbPoolMax: 1,
      });
      await h.db.knex.raw('ALTER TABLE lead_update_horizon RENAME TO lead_update_horizon_away');
      try {
        let failed: unknown = null;
        await settleWrites(one, async () => undefined, 5).catch((error: unknown) => {
          failed = error;
        });
        expect(String(failed)).to.match(/lead_update_horizon/);
        const after = (await one.knex.raw('SELECT 1 AS n')) as { rows: Array<{ n: number }> };
        expect(after.rows[0]!.n).to.equal(1);
      } finally {
        await h.db.knex.raw('ALTER TABLE lead_update_horizon_away RENAME TO lead_update_horizon');
        await one.close();
      }
    });

    it('the store moves only stamps written at or below the horizon: a write leaving updated_at alone keeps it, each row of a many-row write is moved', async () => {
      const s = h.services;
      const ids = [
        await createLead(s, 'horizon-1@order.example'),
        await createLead(s, 'horizon-2@order.example'),
        await createLead(s, 'horizon-3@order.example'),
      ];
      const stampOf = async (id: number) =>
        Number((await h.db.knex('leads').where({ id }).first('updated_at'))!.updated_at);
      const before = await stampOf(ids[0]!);
      const horizon = before + 1000;
      await h.db.knex('lead_update_horizon').where({ id: 1 }).update({ v: horizon });
      // Not the stamp: nothing moves.
      await h.db.knex('leads').where({ id: ids[0] }).update({ lead_score: 7 });
      expect(await stampOf(ids[0]!)).to.equal(before);
      // Stamps at or below the horizon, many rows in one statement: each moved past it.
      await h.db
        .knex('leads')
        .whereIn('id', ids)
        .update({ updated_at: horizon - 5 });
      for (const id of ids) expect(await stampOf(id)).to.equal(horizon + 1);
      // A stamp past the horizon is kept as written.
      await h.db
        .knex('leads')
        .where({ id: ids[1] })
        .update({ updated_at: horizon + 50 });
      expect(await stampOf(ids[1]!)).to.equal(horizon + 50);
      // A person created with a stamp at or below it.
      const [row] = (await h.db
        .knex('leads')
        .insert({
          email: 'horizon-4@order.example',
          email_key: 'horizon-4@order.example',
          created_at: before,
          updated_at: before,
        })
        .returning('id')) as Array<{ id: number } | number>;
      const created = typeof row === 'number' ? row : row!.id;
      expect(await stampOf(created)).to.equal(horizon + 1);
    });
  });
}
