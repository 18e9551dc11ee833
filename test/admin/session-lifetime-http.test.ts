import { expect } from 'chai';
import { runOperatorsCommand } from '../../src/cli/operators.command.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import {
  ALICE,
  AdminClient,
  operatorServiceFor,
  operatorsCliPerTest,
  operatorsCommandIo,
} from './support.js';

const MINUTE = 60 * 1000;

/** Through the real server: the idle timeout, "End my other sessions", "operators logout". */
for (const engine of testEngines()) {
  describe(`operator pages over HTTP: idle sessions and ending sessions (${engine.name})`, function () {
    // A service per test (a fresh database) and several logins, each a password hashed: up to
    // 8 s a test seen on a loaded 2-core machine, too close to mocha's 20 s default.
    this.timeout(60000);
    let svc: TestService;
    let cli: ReturnType<typeof operatorServiceFor>;

    operatorsCliPerTest(engine, (made) => ({ svc, cli } = made));

    /** A browser holding a session opened `minutesAgo` and not used since. */
    const sessionFrom = async (minutesAgo: number): Promise<AdminClient> => {
      const then = operatorServiceFor(svc.config, () => Date.now() - minutesAgo * MINUTE);
      try {
        const opened = await then.operators.logIn(ALICE.name, ALICE.password);
        const client = new AdminClient(svc.base);
        client.cookies.set('du_admin_session', opened!.token);
        return client;
      } finally {
        await then.db.close();
      }
    };
    const sessionRows = async (): Promise<number> =>
      Number(
        ((await cli.db.knex('operator_sessions').count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n,
      );

    it('sends a session left idle for ADMIN_SESSION_IDLE_MINUTES to the login page; one in use goes on', async () => {
      expect(svc.config.adminSessionIdleMinutes).to.equal(30);
      const idle = await sessionFrom(31);
      const page = await idle.get('/admin/');
      expect(page.status).to.equal(303);
      expect(page.location).to.equal('/admin/login?next=%2Fadmin%2F&ended=1');
      const login = await idle.get(page.location!);
      expect(login.body).to.include('was left idle');

      const used = await sessionFrom(29);
      const before = Date.now();
      expect((await used.get('/admin/')).status).to.equal(200);
      // The use was recorded: the session now lasts 30 minutes from this request.
      const seen = (await cli.db.knex('operator_sessions').max({ at: 'last_seen_at' })) as Array<{
        at: unknown;
      }>;
      expect(Number(seen[0]!.at)).to.be.at.least(before);

      // A login clears the idle session's row.
      expect(await sessionRows()).to.equal(2);
      expect((await new AdminClient(svc.base).logIn()).status).to.equal(303);
      expect(await sessionRows()).to.equal(2);
    });

    it('ends the operator’s other sessions from the console (POST with its CSRF token), keeping this one', async () => {
      const laptop = new AdminClient(svc.base);
      const desk = new AdminClient(svc.base);
      expect((await laptop.logIn()).status).to.equal(303);
      expect((await desk.logIn()).status).to.equal(303);
      const start = await desk.get('/admin/');
      expect(start.body).to.include('formaction="/admin/logout-others"');

      // Without the token: refused, nothing ended.
      const forged = await desk.post('/admin/logout-others', { _csrf: 'x'.repeat(43) });
      expect(forged.status).to.equal(403);
      expect((await laptop.get('/admin/')).status).to.equal(200);

      const ended = await desk.post('/admin/logout-others', { _csrf: desk.csrf });
      expect(ended.status).to.equal(200);
      expect(ended.body).to.include('Ended 1 other session of alice');
      expect((await laptop.get('/admin/')).location).to.match(/^\/admin\/login\?.*ended=1$/);
      expect((await desk.get('/admin/')).status).to.equal(200);
      const again = await desk.post('/admin/logout-others', { _csrf: desk.csrf });
      expect(again.body).to.include('You had no other session');

      // Without a session: no action.
      const nobody = new AdminClient(svc.base);
      expect((await nobody.post('/admin/logout-others', { _csrf: desk.csrf })).status).to.equal(
        401,
      );
    });

    it('"operators logout NAME" ends every session of the operator; an unknown name exits 1', async () => {
      const one = new AdminClient(svc.base);
      const two = new AdminClient(svc.base);
      await one.logIn();
      await two.logIn();
      const io = operatorsCommandIo();
      expect(await runOperatorsCommand(['logout', 'alice'], cli.operators, io)).to.equal(0);
      expect(io.output()).to.equal('Ended 2 sessions of alice.\n');
      expect((await one.get('/admin/')).status).to.equal(303);
      expect((await two.get('/admin/')).status).to.equal(303);
      // The operator stays: it logs in again.
      expect((await one.logIn()).status).to.equal(303);

      const unknown = operatorsCommandIo();
      expect(await runOperatorsCommand(['logout', 'nobody'], cli.operators, unknown)).to.equal(1);
      expect(unknown.output()).to.equal('No operator nobody.\n');
    });
  });
}
