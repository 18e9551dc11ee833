/**
 * `suppressions export` whose reader stopped reading (a pager left open, a consumer stuck): its
 * standard output pipe full, a stop signal still ends it promptly, in its one line, rather
 * than once the reader drains. The export waits for the pipe without blocking the process (its
 * writes are asynchronous), so the signal's handler runs while it waits.
 */
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { storeOptOuts } from '../support/stored-rows.js';
import { cliSuite, eventually, spawnCli } from './support.js';

for (const engine of testEngines()) {
  describe(`suppressions export on a full pipe (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    const ROWS = 50000;

    cliSuite(engine, 'du-export-full-pipe-', (suite) => {
      ({ env, db } = suite);
    });

    before(() => storeOptOuts(db, ROWS, 'piped'));

    it('SIGTERM while its reader reads nothing: it exits with its line, the pipe still full', async () => {
      const run = spawnCli(['suppressions', 'export'], env);
      const stdout = run.child.stdout!;
      // Nobody reads: once this side's buffer is full, the pipe fills and the export waits.
      stdout.removeAllListeners('data');
      stdout.pause();
      expect(
        await eventually(() => stdout.readableLength >= stdout.readableHighWaterMark, 30000),
        run.err(),
      ).to.equal(true);
      await new Promise((r) => setTimeout(r, 500)); // the pipe's own buffer fills behind it
      const exited = new Promise<number | null>((r) => run.child.once('exit', r));
      run.child.kill('SIGTERM');
      // No time asserted: a hung process fails on the test's own timeout, its pipe never read.
      const code = await exited;
      expect(code, run.err()).to.equal(143);
      expect(run.err()).to.match(
        /^suppressions export stopped by SIGTERM: the CSV written to standard output is incomplete \(\d+ of the statuses\); run it again\n$/,
      );
      stdout.destroy();
    });
  });
}
