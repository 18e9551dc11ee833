import os from 'node:os';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { cli, suppressionsCliSuite } from './support.js';

const OS_USER = os.userInfo().username;

/** `suppressions add` and `remove`: one address through the durable rules. */
for (const engine of testEngines()) {
  describe(`suppressions add and remove on the command line (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let services: Services;
    const web = ChangePaths.webService();

    suppressionsCliSuite(engine, (suite) => ({ env, services } = suite));

    it('add and remove one address through the durable rules: everyone holding it follows', async () => {
      const a = await services.leads.sync({ email: 'one@example.com' }, { path: web });
      const b = await services.leads.sync(
        { email: 'ONE@example.com' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      const flags = async () =>
        (await services.leads.find({ keyType: 'EMAIL', keyValue: 'one@example.com' }))
          .sort((x, y) => x.id - y.id)
          .map((l) => l.unsubscribed);
      expect(a.leadId).to.not.equal(b.leadId);

      const noReason = await cli(['suppressions', 'add', 'one@example.com'], env);
      expect(noReason.code).to.equal(2);
      expect(noReason.stderr).to.contain('--reason');
      const bad = await cli(['suppressions', 'add', 'not an address', '--reason', 'x'], env);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.equal('not an address: Email is not a valid address\n');

      const added = await cli(
        [
          'suppressions',
          'add',
          'One@Example.com',
          '--reason',
          'asked by letter',
          '--actor',
          'ops-jane',
        ],
        env,
      );
      expect(added.code, added.stderr).to.equal(0);
      expect(added.stdout).to.equal('one@example.com suppressed; 2 people unsubscribed.\n');
      expect(await flags()).to.deep.equal([true, true]);
      const again = await cli(['suppressions', 'add', 'one@example.com', '--reason', 'x'], env);
      expect(again.stdout).to.contain('already suppressed: nothing changed');

      const removed = await cli(
        ['suppressions', 'remove', 'one@example.com', '--reason', 'wrote to opt back in'],
        env,
      );
      expect(removed.code, removed.stderr).to.equal(0);
      // It says what it lifted: the suppression added above, with its reason.
      expect(removed.stdout).to.match(
        /^one@example\.com no longer suppressed \(lifted a suppression of \d{4}-\d\d-\d\d \("asked by letter"\)\); 2 people resubscribed\.\n$/,
      );
      expect(await flags()).to.deep.equal([false, false]);
      const history = (await services.durableStatus.explain('one@example.com')).history;
      expect(history.map((h) => [h.unsubscribed, h.reason, h.source])).to.deep.equal([
        [true, 'asked by letter', 'Command line (ops-jane)'],
        [false, 'wrote to opt back in', `Command line (${OS_USER})`],
      ]);
      // Nobody holds it yet: the status waits for the first person.
      await cli(['suppressions', 'add', 'later@example.com', '--reason', 'complaint'], env);
      const later = await services.leads.sync({ email: 'later@example.com' }, { path: web });
      expect(later.lead.unsubscribed).to.equal(true);
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });
  });
}
