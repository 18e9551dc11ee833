import { expect } from 'chai';
import { openDatabase } from '../../src/data-access/database.js';
import { OperatorSessionRepository } from '../../src/data-access/operator-session.repository.js';
import { OperatorRepository } from '../../src/data-access/operator.repository.js';
import { openUserRepository } from '../../src/data-access/user.repository.js';
import { OperatorService } from '../../src/domain/operator.service.js';
import { UserService } from '../../src/domain/user.service.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';

/** What a call waiting on the database rejects with, or null when it resolved. */
async function codeOf(work: Promise<unknown>): Promise<string | null> {
  try {
    await work;
    return null;
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    return (error as AppError).code;
  }
}

for (const engine of testEngines()) {
  describe(`account stores without their database (${engine.name})`, () => {
    let made: Awaited<ReturnType<typeof engine.create>>;
    let operators: OperatorService;
    let users: UserService;

    before(async () => {
      made = await engine.create();
      // A second handle on the same database, closed: every statement on it fails the way a
      // database that went away does.
      const gone = openDatabase({
        databaseUrl: made.url,
        dataDir: made.dataDir,
        sqliteBusyTimeoutMs: 1000,
        dbPoolMax: 1,
      });
      const userStore = openUserRepository(gone, {
        userKeySecret: 'account-stores-test-secret-0123456789',
        dataDir: made.dataDir,
      });
      await gone.close();
      operators = new OperatorService(
        new OperatorRepository(gone.knex),
        new OperatorSessionRepository(gone.knex),
        [{ name: 'envop', password: 'environment password' }],
        { sessionHours: 8 },
      );
      users = new UserService(userStore, []);
    });
    after(() => made.drop());

    it('answers every operator and session call with DATABASE_UNAVAILABLE, never a driver error', async () => {
      const unavailable = ErrorCode.DATABASE_UNAVAILABLE;
      expect(await codeOf(operators.list())).to.equal(unavailable);
      expect(await codeOf(operators.add('newop', 'a long enough password'))).to.equal(unavailable);
      expect(await codeOf(operators.remove('newop'))).to.equal(unavailable);
      // A configured operator's password needs no database; the session it opens does.
      expect(await codeOf(operators.logIn('envop', 'environment password'))).to.equal(unavailable);
      expect(await codeOf(operators.session('a'.repeat(43)))).to.equal(unavailable);
    });

    it('answers a SOAP user lookup with DATABASE_UNAVAILABLE', async () => {
      expect(await codeOf(users.credentialsOf('someone'))).to.equal(ErrorCode.DATABASE_UNAVAILABLE);
    });
  });
}
