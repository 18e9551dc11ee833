import { expect } from 'chai';
import { OperatorSessionRepository } from '../../src/data-access/operator-session.repository.js';
import { OperatorRepository } from '../../src/data-access/operator.repository.js';
import type { Database } from '../../src/data-access/database.js';
import { OperatorService } from '../../src/domain/operator.service.js';
import type { OperatorSessionRecord } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';

const PASSWORD = 'correct horse battery';
const MINUTE = 60 * 1000;

/** Idle timeout, logging out other sessions or all of them, a login racing a re-added operator. */
for (const engine of testEngines()) {
  describe(`operator sessions: idle timeout and ending them (${engine.name})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let now: number;
    let operators: OperatorService;

    const serviceWith = (sessions: OperatorSessionRepository) =>
      new OperatorService(new OperatorRepository(db.knex), sessions, [], {
        sessionHours: 8,
        idleMinutes: 30,
        now: () => now,
      });
    const lastSeen = async (): Promise<number[]> =>
      (
        (await db
          .knex('operator_sessions')
          .select('last_seen_at')
          .orderBy('last_seen_at')) as Array<{
          last_seen_at: unknown;
        }>
      ).map((r) => Number(r.last_seen_at));

    beforeEach(async () => {
      const made = await engine.create();
      db = made.db;
      drop = made.drop;
      now = Date.UTC(2026, 11, 5, 9);
      operators = serviceWith(new OperatorSessionRepository(db.knex));
      await operators.add('alice', PASSWORD);
    });
    afterEach(() => drop());

    it('ends a session left idle for the idle time, keeps one in use, records use once a minute', async () => {
      const login = now;
      const session = await operators.logIn('alice', PASSWORD);
      expect(await lastSeen()).to.deep.equal([login]);
      // Within the step: no write.
      now += 30 * 1000;
      expect(await operators.session(session!.token)).to.not.equal(null);
      expect(await lastSeen()).to.deep.equal([login]);
      // In use every 29 minutes: the session goes on past the idle time since its login.
      for (let i = 1; i <= 3; i++) {
        now = login + i * 29 * MINUTE;
        expect(await operators.session(session!.token), `use ${i}`).to.not.equal(null);
        expect(await lastSeen()).to.deep.equal([now]);
      }
      // Then left idle for 30 minutes: ended, even though its 8 hours are not over.
      now += 30 * MINUTE;
      expect(await operators.session(session!.token)).to.equal(null);
      // And its row goes at the next login.
      const next = await operators.logIn('alice', PASSWORD);
      expect(await db.knex('operator_sessions').count({ n: '*' })).to.deep.equal([{ n: 1 }]);
      expect(await operators.session(next!.token)).to.not.equal(null);
    });

    it('never moves a recorded use back (another instance, a slower clock)', async () => {
      const session = await operators.logIn('alice', PASSWORD);
      now += 10 * MINUTE;
      await operators.session(session!.token);
      const later = now;
      now -= 5 * MINUTE;
      await new OperatorSessionRepository(db.knex).touch(
        (await db.knex('operator_sessions').first<{ token_hash: string }>('token_hash'))!
          .token_hash,
        now,
      );
      expect(await lastSeen()).to.deep.equal([later]);
    });

    it('logs an operator out of its other sessions, or out of all of them', async () => {
      await operators.add('bob', PASSWORD);
      const [one, two, three] = [
        await operators.logIn('alice', PASSWORD),
        await operators.logIn('alice', PASSWORD),
        await operators.logIn('alice', PASSWORD),
      ];
      const bob = await operators.logIn('bob', PASSWORD);
      expect(await operators.logOutOthers('alice', two!.token)).to.equal(2);
      expect(await operators.session(one!.token)).to.equal(null);
      expect(await operators.session(three!.token)).to.equal(null);
      expect((await operators.session(two!.token))?.operator).to.equal('alice');
      expect((await operators.session(bob!.token))?.operator).to.equal('bob');
      expect(await operators.logOutEverywhere('alice')).to.equal(1);
      expect(await operators.session(two!.token)).to.equal(null);
      expect((await operators.session(bob!.token))?.operator).to.equal('bob');
    });

    it('opens nothing for a login checked against an operator removed and added again meanwhile', async () => {
      // The operator is removed and added again (another password) between the password check
      // and the session's insert.
      class Racing extends OperatorSessionRepository {
        override async insert(session: OperatorSessionRecord): Promise<void> {
          await operators.remove('alice');
          await operators.add('alice', 'a new password for alice');
          await super.insert(session);
        }
      }
      const racing = serviceWith(new Racing(db.knex));
      const session = await racing.logIn('alice', PASSWORD);
      expect(await operators.session(session!.token)).to.equal(null);
      // The re-added operator logs in with its new password.
      const fresh = await operators.logIn('alice', 'a new password for alice');
      expect((await operators.session(fresh!.token))?.operator).to.equal('alice');
    });
  });
}
