import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/compose.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { cli, suppressionsCliSuite } from '../ops/support.js';

/** Counts on the command line are written in words: "1 violation", never "1 violation(s)". */
for (const engine of testEngines()) {
  describe(`counts in CLI output are words, singular for one (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let services: Services;
    let db: Database;

    suppressionsCliSuite(engine, (suite) => ({ env, services, db } = suite));

    it('verify: "1 violation."', async () => {
      const web = ChangePaths.webService();
      const { lead } = await services.leads.sync({ email: 'count@example.com' }, { path: web });
      const added = await cli(['suppressions', 'add', 'count@example.com', '--reason', 'x'], env);
      expect(added.stdout).to.equal('count@example.com suppressed; 1 person unsubscribed.\n');
      // A person's flag that disagrees with its address's master status: what verify finds.
      await db.knex('leads').where('id', lead.id).update({ unsubscribed: false });
      const r = await cli(['verify'], env);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stdout.trim().split('\n').at(-1)).to.equal('1 violation.');
      await db.knex('leads').where('id', lead.id).update({ unsubscribed: true });
    });
  });
}
