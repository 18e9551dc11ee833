import { expect } from 'chai';
import { loadConfig, ConfigError } from '../../src/config.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient, operatorServiceFor } from './support.js';

const BOB = { name: 'bob', password: 'another long password' };

describe('ADMIN_SESSIONS_PER_OPERATOR', () => {
  it('is 5 unless set, and refused outside 1 to 1000 by name', () => {
    expect(loadConfig({}).adminSessionsPerOperator).to.equal(5);
    expect(loadConfig({ ADMIN_SESSIONS_PER_OPERATOR: '2' }).adminSessionsPerOperator).to.equal(2);
    for (const raw of ['0', '1001', 'many', ''])
      expect(() => loadConfig({ ADMIN_SESSIONS_PER_OPERATOR: raw })).to.throw(
        ConfigError,
        /ADMIN_SESSIONS_PER_OPERATOR/,
      );
  });
});

/** Through the real server: a login past the cap ends that operator's oldest session. */
for (const engine of testEngines()) {
  describe(`operator pages over HTTP: sessions per operator (${engine.name})`, function () {
    // Several logins, each a password hashed, on a shared machine.
    this.timeout(60000);
    let svc: TestService;

    beforeEach(async () => {
      svc = await startTestService(engine, {
        adminUsers: [ALICE, BOB],
        adminSessionsPerOperator: 2,
      });
    });
    afterEach(() => svc.stop());

    const loggedIn = async (credential = ALICE): Promise<AdminClient> => {
      const client = new AdminClient(svc.base);
      expect((await client.logIn(credential)).status).to.equal(303);
      return client;
    };
    const opens = async (client: AdminClient): Promise<boolean> =>
      (await client.get('/admin/')).status === 200;

    it('ends the oldest session of the operator, and only it, when a login passes the cap', async () => {
      const first = await loggedIn();
      const bobs = await loggedIn(BOB);
      const second = await loggedIn();
      expect(await opens(first)).to.equal(true);
      // The third login of alice: her first session ends, the two newest stay.
      const third = await loggedIn();
      const sent = await first.get('/admin/');
      expect(sent.status).to.equal(303);
      expect(sent.location).to.match(/^\/admin\/login\?.*ended=1$/);
      expect(await opens(second)).to.equal(true);
      expect(await opens(third)).to.equal(true);
      // Another operator's sessions are not counted against hers.
      expect(await opens(bobs)).to.equal(true);

      // The session used most recently is not spared: the cap is on logins, oldest first.
      const fourth = await loggedIn();
      expect(await opens(second)).to.equal(false);
      expect(await opens(third)).to.equal(true);
      expect(await opens(fourth)).to.equal(true);

      const cli = operatorServiceFor(svc.config);
      try {
        const rows = (await cli.db
          .knex('operator_sessions')
          .where('operator_name', 'alice')
          .count({ n: '*' })) as Array<{ n: unknown }>;
        expect(Number(rows[0]!.n)).to.equal(2);
      } finally {
        await cli.db.close();
      }
    });
  });
}
