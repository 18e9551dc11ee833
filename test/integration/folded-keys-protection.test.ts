/**
 * 20261203001100_folded_email_keys: spellings that now share a key keep, of their opt-outs,
 * the one fewest paths may lift. A suppression whose reason the deployment's PROTECTED_REASONS
 * names (not only the default 'complaint') over a later plain opt-out; any opt-out an
 * authenticated path made over a later unsubscribe on a link's page, whose undo (anyone
 * holding the link) would otherwise lift the other spelling's opt-out with it.
 */
import { expect } from 'chai';
import * as folded from '../../migrations/20261203001100_folded_email_keys.js';
import { linkActor } from '../../src/domain/acknowledged-opt-outs.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { masterStatusSource } from '../../src/domain/master-change.js';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import {
  personRow,
  statusRow,
  statusRowOf,
  storePeopleAndStatuses,
} from '../support/stored-rows.js';

const WEB = masterStatusSource(ChangePaths.webService());
const PAGE = masterStatusSource(ChangePaths.unsubscribeLink(linkActor('aaaaaaaaaaaaaaaa', true)));

async function seed(db: Database): Promise<void> {
  await storePeopleAndStatuses(
    db,
    [
      personRow(1, 'ＥＶＥ@example.com', 'ｅｖｅ@example.com', true),
      personRow(2, 'eve@example.com', 'eve@example.com', true),
      personRow(3, 'ＭＡＸ@example.com', 'ｍａｘ@example.com', true),
      personRow(4, 'max@example.com', 'max@example.com', true),
    ],
    [
      statusRow('ｅｖｅ@example.com', true, 100, 'Legal hold', WEB, 1),
      statusRow('eve@example.com', true, 200, 'Web service API', WEB, 2),
      statusRow('ｍａｘ@example.com', true, 300, 'Unsubscribe link', PAGE, 3),
      statusRow('max@example.com', true, 100, 'Web service API', WEB, 4),
    ],
  );
}

for (const engine of testEngines()) {
  describe(`folded email keys migration: which opt-out a merge keeps (${engine.name})`, function () {
    this.timeout(60000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    const saved = process.env.PROTECTED_REASONS;
    before(async () => {
      made = await engine.create();
      await folded.down(made.db.knex);
      await seed(made.db);
      process.env.PROTECTED_REASONS = 'complaint, legal hold';
      await folded.up(made.db.knex);
    });
    after(async () => {
      if (saved === undefined) delete process.env.PROTECTED_REASONS;
      else process.env.PROTECTED_REASONS = saved;
      await made?.drop();
    });

    const statusOf = (key: string) => statusRowOf(made.db, key);

    it('a reason PROTECTED_REASONS names is kept over a later plain opt-out', async () => {
      const kept = await statusOf('eve@example.com');
      expect(Boolean(kept?.unsubscribed)).to.equal(true);
      expect(kept?.reason).to.equal('Legal hold');
      expect(await statusOf('ｅｖｅ@example.com')).to.equal(undefined);
    });

    it("a web service opt-out is kept over a later link page's unsubscribe, which its undo could lift", async () => {
      const kept = await statusOf('max@example.com');
      expect(Boolean(kept?.unsubscribed)).to.equal(true);
      expect(kept?.source).to.equal(WEB);
      const keys = (await made.db.knex('leads').orderBy('id').pluck('email_key')) as string[];
      expect(keys).to.deep.equal([
        'eve@example.com',
        'eve@example.com',
        'max@example.com',
        'max@example.com',
      ]);
    });
  });
}
