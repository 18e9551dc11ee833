/**
 * The log lines of a stop. A service stopped while it is still starting (waiting for an
 * unreachable PostgreSQL, say) logs the line every stop logs, naming the signal it got, and
 * exits 0: an operator reading the log sees why it ended, and a closed terminal's SIGHUP is not
 * reported as a SIGTERM. A stop that cannot end (a query the database never answers) is cut
 * off after 15 s with exit 1 and a line saying so, not in silence.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import knexFactory from 'knex';
import { testEngines } from '../support/database.js';
import { unreachablePostgresUrl } from '../support/ports.js';
import { freshServiceDatabase } from '../support/service-process.js';
import { signal as fired } from '../support/signal.js';
import { BIN, eventually, serveAtInfo } from './support.js';

const serve = serveAtInfo;

describe('a stop while the service starts', function () {
  this.timeout(60000);

  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
  });

  for (const signal of ['SIGHUP', 'SIGINT'] as const)
    it(`${signal} while PostgreSQL is waited for: one line naming ${signal}, exit 0`, async () => {
      const run = serve({ DATABASE_URL: unreachablePostgresUrl() });
      const waiting = await eventually(() => /unreachable/.test(run.output()), 30000);
      expect(waiting, run.output()).to.equal(true);
      run.child.kill(signal);
      const exit = await run.exited;
      expect(exit.code, run.output()).to.equal(0);
      const stops = run
        .output()
        .split('\n')
        .filter((line) => line.includes('shutting down'));
      expect(stops, run.output()).to.have.length(1);
      expect(JSON.parse(stops[0]!)).to.include({ signal });
    });
});

describe('a stop that cannot end', function () {
  this.timeout(120000);
  const postgres = testEngines().find((e) => e.name === 'postgres');

  it('is cut off after 15 s with one error line and exit 1 (PostgreSQL)', async function () {
    if (!postgres) return this.skip(); // a query that never ends needs a lock held elsewhere
    const db = await freshServiceDatabase(postgres);
    const holder = knexFactory({ client: 'pg', connection: db.env.DATABASE_URL });
    const { wait: released, fire: release } = fired();
    try {
      const run = serve(db.env);
      const port = await run.port;
      const { wait: locked, fire: lockTaken } = fired();
      // /readyz reads the migrations table: locked away, its query waits as long as the lock.
      const holding = holder.transaction(async (trx) => {
        await trx.raw('LOCK TABLE knex_migrations IN ACCESS EXCLUSIVE MODE');
        lockTaken();
        await released;
      });
      await locked;
      const asked = fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      await new Promise((r) => setTimeout(r, 500));
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      release();
      await holding;
      await asked;
      expect(exit.code, run.output()).to.equal(1);
      const lines = run
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      const last = lines[lines.length - 1]!;
      expect(last.level, run.output()).to.equal(50);
      expect(last.msg).to.match(/stop did not end within 15 s \(SIGTERM\)/);
    } finally {
      release();
      await holder.destroy();
      await db.drop();
    }
  });
});
