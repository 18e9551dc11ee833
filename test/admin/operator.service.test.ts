import { expect } from 'chai';
import { OperatorSessionRepository } from '../../src/data-access/operator-session.repository.js';
import { OperatorRepository } from '../../src/data-access/operator.repository.js';
import type { Database } from '../../src/data-access/database.js';
import {
  hashPassword,
  OperatorService,
  verifyPassword,
} from '../../src/domain/operator.service.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';

const PASSWORD = 'correct horse battery';
const HOUR = 3600 * 1000;

async function rejects(work: Promise<unknown>, code: ErrorCode): Promise<void> {
  try {
    await work;
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('password hashing', () => {
  it('salts each hash, verifies the right password only, refuses malformed hashes', async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).to.not.equal(b);
    expect(await verifyPassword(PASSWORD, a)).to.equal(true);
    expect(await verifyPassword(PASSWORD, b)).to.equal(true);
    expect(await verifyPassword(PASSWORD + ' ', a)).to.equal(false);
    expect(await verifyPassword(PASSWORD, '')).to.equal(false);
    expect(await verifyPassword(PASSWORD, 'bcrypt$x$y')).to.equal(false);
    expect(await verifyPassword(PASSWORD, a.replace(/\$[^$]+$/, '$AAAA'))).to.equal(false);
  });
});

for (const engine of testEngines()) {
  describe(`OperatorService (${engine.name})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let now: number;
    let operators: OperatorService;

    beforeEach(async () => {
      const made = await engine.create();
      db = made.db;
      drop = made.drop;
      now = Date.UTC(2026, 10, 26, 9);
      operators = new OperatorService(
        new OperatorRepository(db.knex),
        new OperatorSessionRepository(db.knex),
        [{ name: 'envop', password: 'environment password' }],
        // Idle as long as the session lasts: these tests step over hours (the idle timeout's
        // own are in operator-session-lifetime.test.ts).
        { sessionHours: 8, idleMinutes: 8 * 60, now: () => now },
      );
    });
    afterEach(() => drop());

    it('stores only a hash, lists stored and configured operators, refuses bad or duplicate names', async () => {
      await operators.add('alice', PASSWORD);
      const row = (await db.knex('operators').where('name', 'alice').first()) as {
        password_hash: string;
      };
      expect(row.password_hash).to.match(/^scrypt\$/);
      expect(row.password_hash).to.not.include(PASSWORD);
      expect((await operators.list()).map((o) => [o.name, o.origin])).to.deep.equal([
        ['envop', 'environment'],
        ['alice', 'database'],
      ]);
      await rejects(operators.add('alice', PASSWORD), ErrorCode.BAD_PARAMETER);
      await rejects(operators.add('envop', PASSWORD), ErrorCode.BAD_PARAMETER);
      await rejects(operators.add('bad name', PASSWORD), ErrorCode.BAD_PARAMETER);
      await rejects(operators.add('bob', 'short'), ErrorCode.BAD_PARAMETER);
    });

    it('authenticates stored and configured operators, never a wrong password or unknown name', async () => {
      await operators.add('alice', PASSWORD);
      expect(await operators.authenticate('alice', PASSWORD)).to.equal('alice');
      expect(await operators.authenticate('alice', 'wrong password!')).to.equal(null);
      expect(await operators.authenticate('Alice', PASSWORD)).to.equal(null);
      expect(await operators.authenticate('nobody', PASSWORD)).to.equal(null);
      expect(await operators.authenticate('envop', 'environment password')).to.equal('envop');
      expect(await operators.authenticate('envop', 'environment passworD')).to.equal(null);
      expect(await operators.authenticate('x'.repeat(65), PASSWORD)).to.equal(null);
    });

    it('keeps a session until it expires, stores only the token hash, ends it at logout', async () => {
      await operators.add('alice', PASSWORD);
      expect(await operators.logIn('alice', 'wrong password!')).to.equal(null);
      const session = await operators.logIn('alice', PASSWORD);
      expect(session).to.not.equal(null);
      const token = session!.token;
      const stored = (await db.knex('operator_sessions').select('token_hash')) as Array<{
        token_hash: string;
      }>;
      expect(stored).to.have.length(1);
      expect(stored[0]!.token_hash).to.not.equal(token);
      expect(await operators.session(token)).to.deep.equal({
        operator: 'alice',
        csrfToken: session!.csrfToken,
        expiresAt: new Date(now + 8 * HOUR),
      });
      const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      expect(await operators.session(tampered)).to.equal(null);
      expect(await operators.session('not a token')).to.equal(null);
      now += 8 * HOUR - 1;
      expect(await operators.session(token)).to.not.equal(null);
      now += 1;
      expect(await operators.session(token)).to.equal(null);

      const second = await operators.logIn('alice', PASSWORD);
      // Logging in clears sessions that have expired.
      expect(await db.knex('operator_sessions').count({ n: '*' })).to.deep.equal([{ n: 1 }]);
      await operators.logOut(second!.token);
      expect(await operators.session(second!.token)).to.equal(null);
    });

    it('ends every session of a removed operator', async () => {
      await operators.add('alice', PASSWORD);
      const one = await operators.logIn('alice', PASSWORD);
      const two = await operators.logIn('alice', PASSWORD);
      expect(await operators.remove('alice')).to.equal(true);
      expect(await operators.session(one!.token)).to.equal(null);
      expect(await operators.session(two!.token)).to.equal(null);
      expect(await db.knex('operator_sessions').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      expect(await operators.remove('alice')).to.equal(false);
      expect(await operators.authenticate('alice', PASSWORD)).to.equal(null);
    });

    it('ends the session of an operator that left ADMIN_USERS', async () => {
      const session = await operators.logIn('envop', 'environment password');
      const restarted = new OperatorService(
        new OperatorRepository(db.knex),
        new OperatorSessionRepository(db.knex),
        [],
        { sessionHours: 8, now: () => now },
      );
      expect(await operators.session(session!.token)).to.not.equal(null);
      expect(await restarted.session(session!.token)).to.equal(null);
    });

    it('ends the sessions of an ADMIN_USERS operator whose password changed, and only those', async () => {
      const restartWith = (configured: Array<{ name: string; password: string }>) =>
        new OperatorService(
          new OperatorRepository(db.knex),
          new OperatorSessionRepository(db.knex),
          configured,
          { sessionHours: 8, now: () => now },
        );
      await operators.add('alice', PASSWORD);
      const stored = await operators.logIn('alice', PASSWORD);
      const configured = await operators.logIn('envop', 'environment password');
      // Restarted with the same pair (another instance, or the same one): the session goes on.
      const same = restartWith([{ name: 'envop', password: 'environment password' }]);
      expect((await same.session(configured!.token))?.operator).to.equal('envop');
      // Rotated: the session opened with the old password ends on an instance with the new one.
      const rotated = restartWith([{ name: 'envop', password: 'a rotated environment password' }]);
      expect(await rotated.session(configured!.token)).to.equal(null);
      expect((await rotated.session(stored!.token))?.operator).to.equal('alice');
      const again = await rotated.logIn('envop', 'a rotated environment password');
      expect((await rotated.session(again!.token))?.operator).to.equal('envop');
      expect(await rotated.logIn('envop', 'environment password')).to.equal(null);
    });

    it('ends a session opened as an ADMIN_USERS operator once the name is only a stored one', async () => {
      await operators.add('alice', PASSWORD);
      const configuredAlice = [{ name: 'alice', password: 'configured alice password' }];
      const withConfigured = new OperatorService(
        new OperatorRepository(db.knex),
        new OperatorSessionRepository(db.knex),
        configuredAlice,
        { sessionHours: 8, now: () => now },
      );
      const session = await withConfigured.logIn('alice', 'configured alice password');
      expect((await withConfigured.session(session!.token))?.operator).to.equal('alice');
      // The pair left ADMIN_USERS; the stored alice has another password, and the session was
      // not opened with it.
      expect(await operators.session(session!.token)).to.equal(null);
      const own = await operators.logIn('alice', PASSWORD);
      expect((await operators.session(own!.token))?.operator).to.equal('alice');
      expect(await withConfigured.session(own!.token)).to.equal(null);
    });
  });
}
