/**
 * A migration that fails at start (here: its change is in the database but its record is not,
 * as a hand-made repair can leave it) stops `serve` and `migrate` with one line naming the
 * migration and its cause, exit 1. It printed knex's two lines and the driver's stack trace.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { BIN, cli } from './support.js';

const BROKEN = '20261203000900_operator_session_credentials';

for (const engine of testEngines()) {
  describe(`a migration that fails (${engine.name})`, function () {
    this.timeout(120000);

    it('stops serve and migrate with one line naming the migration and its cause', async () => {
      if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
      const made = await engine.create();
      try {
        // Its column is there, its record gone: running it again fails (a duplicate column).
        await made.db.knex('knex_migrations').where('name', BROKEN).del();
        await made.db.close();
        const env: Record<string, string> = made.url
          ? { DATABASE_URL: made.url, USER_KEY_SECRET: TEST_KEY_SECRET }
          : { DATABASE_URL: '', DATA_DIR: made.dataDir };
        const serveEnv = {
          ...env,
          PORT: '0',
          HOST: '127.0.0.1',
          METRICS_PORT: 'off',
          WORKERS: '1',
        };
        for (const [args, runEnv] of [
          [['migrate'], env],
          [['serve'], serveEnv],
        ] as Array<[string[], Record<string, string>]>) {
          const r = await cli(args, runEnv);
          const what = `${args[0]}:\n${r.stdout}${r.stderr}`;
          expect(r.code, what).to.equal(1);
          expect(r.stdout, what).to.equal('');
          expect(r.stderr, what).to.match(
            new RegExp(`^migration ${BROKEN} failed: [^\\n]*credential_tag[^\\n]*\\n$`),
          );
        }
      } finally {
        await made.drop();
      }
    });
  });
}
