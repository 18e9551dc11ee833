/**
 * credentialsOf answers from a per-instance copy of the stored users: a change made through
 * the service is seen at once, one made elsewhere (the CLI, another instance) within the
 * copy's lifetime; an unknown id is answered from the same copy as a known one.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { openUserRepository, type UserRepository } from '../../src/data-access/user.repository.js';
import { UserService } from '../../src/domain/user.service.js';
import { ErrorCode, isAppError } from '../../src/errors.js';
import { testEngines } from '../support/database.js';

const SECRET = 'credentials-copy-test-secret-0123456789';

for (const engine of testEngines()) {
  describe(`UserService: the copy of the stored users (${engine.name})`, () => {
    let made: Awaited<ReturnType<typeof engine.create>>;
    let now: number;
    const repository = (): UserRepository =>
      openUserRepository(made.db, { userKeySecret: SECRET, dataDir: made.dataDir });
    // The serving instance, with a 5 s copy, and the CLI (another process: its own service).
    const serving = (repo = repository()) =>
      new UserService(repo, [{ userId: 'from_env', encryptionKey: 'ENVKEY' }], {
        cacheSeconds: 5,
        now: () => now,
      });
    const cli = () => new UserService(repository(), []);

    beforeEach(async () => {
      made = await engine.create();
      now = 1_000_000;
    });
    afterEach(() => made?.drop());

    it('answers known, configured and unknown ids from one read of the table, whatever ids are asked', async () => {
      const { encryptionKey } = await cli().create(null, 'erp');
      const repo = repository();
      const list = sinon.spy(repo, 'list');
      const find = sinon.spy(repo, 'find');
      const users = serving(repo);
      expect((await users.credentialsOf('erp'))?.encryptionKey).to.equal(encryptionKey);
      expect((await users.credentialsOf('from_env'))?.encryptionKey).to.equal('ENVKEY');
      for (let i = 0; i < 1000; i++) {
        expect(await users.credentialsOf(crypto.randomBytes(12).toString('hex'))).to.equal(null);
      }
      expect(list.callCount, 'one read of the table').to.equal(1);
      expect(find.callCount, 'no lookup of its own for any id').to.equal(0);
      // Concurrent first calls after the copy ends share one read.
      now += 5000;
      await Promise.all([users.credentialsOf('erp'), users.credentialsOf('nobody')]);
      expect(list.callCount).to.equal(2);
    });

    it('refuses a user removed through it at once, and one removed by the CLI within the copy lifetime', async () => {
      await cli().create(null, 'here');
      await cli().create(null, 'there');
      const users = serving();
      expect(await users.credentialsOf('here')).to.not.equal(null);
      expect(await users.credentialsOf('there')).to.not.equal(null);
      expect(await users.remove('here')).to.equal(true);
      expect(await users.credentialsOf('here'), 'removed here: at once').to.equal(null);

      expect(await cli().remove('there')).to.equal(true);
      now += 4999;
      expect(await users.credentialsOf('there'), 'within the bound').to.not.equal(null);
      now += 1;
      expect(await users.credentialsOf('there'), 'at the bound').to.equal(null);
    });

    it('refuses a user removed by the CLI within the copy lifetime when the clock steps back meanwhile', async () => {
      await cli().create(null, 'there');
      const users = serving();
      expect(await users.credentialsOf('there')).to.not.equal(null);
      expect(await cli().remove('there')).to.equal(true);
      // An NTP correction steps the clock back an hour; five seconds pass.
      now -= 3_600_000;
      now += 5000;
      expect(await users.credentialsOf('there'), 'within the bound of real time').to.equal(null);
    });

    it('a re-keyed user: the old key stops working within the bound, the new one starts', async () => {
      const old = await cli().create(null, 'erp');
      const users = serving();
      expect((await users.credentialsOf('erp'))?.encryptionKey).to.equal(old.encryptionKey);
      const admin = cli();
      await admin.remove('erp');
      const fresh = await admin.create(null, 'erp');
      now += 5000;
      expect((await users.credentialsOf('erp'))?.encryptionKey).to.equal(fresh.encryptionKey);
      expect(fresh.encryptionKey).to.not.equal(old.encryptionKey);
    });

    it('sees its own permission change and new user at once', async () => {
      await cli().create(null, 'erp');
      const users = serving();
      expect((await users.credentialsOf('erp'))?.permissions.readOnly).to.equal(false);
      await users.updatePermissions('erp', { readOnly: true, mayDelete: false, partitions: null });
      expect((await users.credentialsOf('erp'))?.permissions.readOnly).to.equal(true);
      expect(await users.credentialsOf('late')).to.equal(null);
      const { encryptionKey } = await users.create(null, 'late');
      expect((await users.credentialsOf('late'))?.encryptionKey).to.equal(encryptionKey);
    });

    it('does not keep a read that a change overtook', async () => {
      await cli().create(null, 'erp');
      const repo = repository();
      const users = serving(repo);
      const list = sinon.spy(repo, 'list');
      const reading = users.credentialsOf('erp'); // reads the table
      await users.remove('erp'); // meanwhile, through this instance
      await reading;
      expect(await users.credentialsOf('erp')).to.equal(null);
      expect(list.callCount, 'read again after the change').to.equal(2);
    });

    it('a stored key this secret cannot open never authenticates', async () => {
      await cli().create(null, 'erp');
      await made.db.knex('mktows_users').where('user_id', 'erp').update({
        encryption_key: 'v2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      });
      expect(await serving().credentialsOf('erp')).to.equal(null);
    });

    it('0 seconds: the database on every call', async () => {
      await cli().create(null, 'erp');
      const repo = repository();
      const find = sinon.spy(repo, 'find');
      const users = new UserService(repo, [], { cacheSeconds: 0 });
      await users.credentialsOf('erp');
      await users.credentialsOf('nobody');
      expect(find.callCount).to.equal(2);
      await cli().remove('erp');
      expect(await users.credentialsOf('erp')).to.equal(null);
    });

    it('a database that fails is a database fault, and no copy is kept', async () => {
      const repo = repository();
      const users = serving(repo);
      const list = sinon.stub(repo, 'list').rejects(new Error('connection reset'));
      const error: unknown = await users.credentialsOf('erp').catch((e: unknown) => e);
      expect(isAppError(error) && error.code).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
      list.restore();
      await cli().create(null, 'erp');
      expect(await users.credentialsOf('erp')).to.not.equal(null);
    });
  });
}
