/**
 * A SOAP user id given in MKTOWS_USERS and stored in the database too (added by a `users add` run
 * without that environment, or listed in it later) is refused: which key and which permissions
 * were meant is not guessed. Read as the configured one, a stored user confined to a partition
 * or made read-only authenticated with full access, and `users update`/`users remove` of it
 * reported a restriction or a revocation that never took effect.
 */
import { expect } from 'chai';
import { runUsersCommand } from '../../src/cli/users.command.js';
import { openUserRepository } from '../../src/data-access/user.repository.js';
import { UserService } from '../../src/domain/user.service.js';
import { testEngines } from '../support/database.js';

const SECRET = 'both-origins-test-secret-0123456789';

for (const engine of testEngines()) {
  describe(`UserService: an id both in MKTOWS_USERS and stored (${engine.name})`, () => {
    let made: Awaited<ReturnType<typeof engine.create>>;
    const repository = () =>
      openUserRepository(made.db, { userKeySecret: SECRET, dataDir: made.dataDir });
    // The CLI run without MKTOWS_USERS: it knows only the stored users.
    const cli = () => new UserService(repository(), []);
    const serving = (cacheSeconds: number) =>
      new UserService(
        repository(),
        [
          { userId: 'feed', encryptionKey: 'ENVKEY' },
          { userId: 'env_only', encryptionKey: 'ENVKEY2' },
        ],
        { cacheSeconds },
      );

    beforeEach(async () => {
      made = await engine.create();
      await cli().create(null, 'feed', { readOnly: true, mayDelete: true, partitions: ['Europe'] });
      await cli().create(null, 'stored_only');
    });
    afterEach(() => made?.drop());

    for (const cacheSeconds of [0, 2]) {
      it(`authenticates it with neither key nor the environment's full access (copy ${cacheSeconds} s)`, async () => {
        const users = serving(cacheSeconds);
        expect(await users.credentialsOf('feed')).to.equal(null);
        expect(await users.encryptionKeyOf('feed')).to.equal(null);
        // Ids of one origin only are as before.
        expect((await users.credentialsOf('env_only'))?.encryptionKey).to.equal('ENVKEY2');
        expect(await users.credentialsOf('stored_only')).to.not.equal(null);
      });
    }

    it('names the ids given both ways, for the start to report', async () => {
      expect(await serving(2).idsConfiguredAndStored()).to.deep.equal(['feed']);
      await cli().remove('feed');
      expect(await serving(2).idsConfiguredAndStored()).to.deep.equal([]);
      // Removed from the database, the id is the configured user again.
      expect((await serving(0).credentialsOf('feed'))?.encryptionKey).to.equal('ENVKEY');
    });

    it('users remove of it says the MKTOWS_USERS entry authenticates from now on', async () => {
      let out = '';
      const run = (users: UserService, id: string) =>
        runUsersCommand(
          users,
          ['remove', id],
          (t) => (out += t),
          () => undefined,
        );
      expect(await run(serving(0), 'feed')).to.equal(0);
      expect(out).to.contain('Removed feed.');
      expect(out).to.contain('feed is still given in MKTOWS_USERS');
      // A CLI run without that environment cannot tell; a stored-only id says nothing more.
      out = '';
      expect(await run(serving(0), 'stored_only')).to.equal(0);
      expect(out).to.not.contain('MKTOWS_USERS');
    });
  });
}
