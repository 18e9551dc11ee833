import { expect } from 'chai';
import { runUsersCommand } from '../../src/cli/users.command.js';
import { openUserRepository } from '../../src/data-access/user.repository.js';
import { UserService } from '../../src/domain/user.service.js';
import { testEngines } from '../support/database.js';

for (const engine of testEngines()) {
  describe(`users add/update with permissions (${engine.name})`, () => {
    let made: Awaited<ReturnType<typeof engine.create>>;
    let users: UserService;
    let out: string;
    let err: string;
    const run = (...args: string[]) => {
      out = '';
      err = '';
      return runUsersCommand(
        users,
        args,
        (t) => (out += t),
        (t) => (err += t),
      );
    };

    before(async () => {
      made = await engine.create();
      users = new UserService(
        openUserRepository(made.db, {
          userKeySecret: 'users-command-test-secret-0123456789',
          dataDir: made.dataDir,
        }),
        [{ userId: 'from_env', encryptionKey: 'K' }],
      );
    });
    after(() => made?.drop());

    const permissionsOf = async (id: string) =>
      (await users.list()).find((u) => u.userId === id)?.permissions;

    it('adds a user with full access unless told otherwise, and with the flags given', async () => {
      expect(await run('add', '--id', 'erp')).to.equal(0);
      expect(out).to.contain('permissions:   full access');
      expect(await permissionsOf('erp')).to.deep.equal({
        readOnly: false,
        mayDelete: true,
        partitions: null,
      });
      expect(await run('add', '--id', 'bi', '--read-only', '--partitions', 'Europe,Asia')).to.equal(
        0,
      );
      expect(out).to.contain('read-only partitions=Europe+Asia');
      expect(await permissionsOf('bi')).to.deep.equal({
        readOnly: true,
        mayDelete: true,
        partitions: ['Europe', 'Asia'],
      });
    });

    it('list shows the control characters of a description escaped, never a terminal escape', async () => {
      expect(await run('add', '--id', 'ctl', '--description', 'feed\u001b[2J\tnight')).to.equal(0);
      expect(await run('list')).to.equal(0);
      expect(out).to.contain('ctl\tdatabase\tfull access\tfeed\\u001b[2J\\tnight\n');
      expect(out).to.not.contain('\u001b');
    });

    it('updates only what its flags name', async () => {
      expect(await run('update', 'erp', '--no-delete')).to.equal(0);
      expect(await permissionsOf('erp')).to.deep.equal({
        readOnly: false,
        mayDelete: false,
        partitions: null,
      });
      expect(await run('update', 'erp', '--partitions', 'Europe')).to.equal(0);
      expect(await run('update', 'erp', '--may-delete')).to.equal(0);
      expect(await permissionsOf('erp')).to.deep.equal({
        readOnly: false,
        mayDelete: true,
        partitions: ['Europe'],
      });
      expect(await run('update', 'bi', '--read-write', '--all-partitions')).to.equal(0);
      // Running services see it after their copy of the users ends: the operator is told.
      expect(out).to.equal(
        'bi: full access\nRunning instances see this within MKTOWS_USER_CACHE_SECONDS (2 s by default).\n',
      );
      expect(await run('list')).to.equal(0);
      expect(out).to.match(/^erp\tdatabase\tpartitions=Europe\t/m);
    });

    it('refuses an unknown user, a user of MKTOWS_USERS, bad partitions and no flags', async () => {
      expect(await run('update', 'nobody', '--read-only')).to.equal(1);
      expect(err).to.contain('No user nobody');
      let caught: unknown;
      try {
        await run('update', 'from_env', '--read-only');
      } catch (e) {
        caught = e;
      }
      expect(String(caught)).to.contain('MKTOWS_USERS');
      // Wrong usage, as a mistyped option: exit 2 and one line, nothing changed.
      expect(await run('update', 'erp', '--partitions', 'Eu<rope')).to.equal(2);
      expect(err).to.contain('--partitions takes partition names');
      expect(await run('update', 'erp')).to.equal(2);
    });
  });
}
