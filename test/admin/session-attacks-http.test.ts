import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import type { OperatorService } from '../../src/domain/operator.service.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { AdminClient, consolePerTest, operatorServiceFor } from './support.js';

const BOB = { name: 'bob', password: 'bob has a long password' };
const SESSION = 'du_admin_session';
const suppress = (client: AdminClient, email: string) =>
  client.post('/admin/address/status', {
    _csrf: client.csrf,
    email,
    unsubscribed: 'true',
    reason: 'r',
  });

/**
 * Sessions as an attacker would try them over HTTP: a session planted before the login, a
 * cookie kept after Log out, an operator removed (as the CLI does) while logged in, many
 * sessions of one operator.
 */
for (const engine of testEngines()) {
  describe(`operator sessions under attack over HTTP (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let alice: AdminClient;
    let cli: { operators: OperatorService; db: Database };

    consolePerTest(engine, (c) => ({ svc, services, client: alice } = c));
    beforeEach(async () => {
      cli = operatorServiceFor(svc.config);
      await cli.operators.add(BOB.name, BOB.password);
    });
    afterEach(() => cli?.db.close());

    it('a session planted before the login is not kept: a new token, the planted one ended', async () => {
      const attacker = new AdminClient(svc.base);
      await attacker.logIn(BOB);
      const planted = attacker.cookies.get(SESSION)!;
      const victim = new AdminClient(svc.base);
      // Over plain HTTP a sibling site can set it; over HTTPS the __Host- prefix keeps it out.
      victim.cookies.set(SESSION, planted);
      expect((await victim.logIn()).status).to.equal(303);
      const token = victim.cookies.get(SESSION)!;
      expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(token).to.not.equal(planted);
      expect(victim.csrf).to.not.equal(attacker.csrf);
      expect((await victim.get('/admin/')).body).to.include('alice');
      // The attacker's session ended with it: what it sends opens nothing.
      const replay = await attacker.get('/admin/');
      expect(replay.status).to.equal(303);
      expect(replay.location).to.include('ended=1');
      expect((await suppress(attacker, 'planted@example.com')).status).to.equal(401);
      expect(await services.durableStatus.explain('planted@example.com')).to.include({
        status: null,
      });
    });

    it('a cookie kept after Log out opens nothing; the other sessions of the operator stay', async () => {
      const second = new AdminClient(svc.base);
      await second.logIn();
      const kept = new Map(alice.cookies);
      const csrf = alice.csrf;
      expect((await alice.post('/admin/logout', { _csrf: csrf })).location).to.equal(
        '/admin/login?out=1',
      );
      const replayed = new AdminClient(svc.base);
      for (const [k, v] of kept) replayed.cookies.set(k, v);
      replayed.csrf = csrf;
      expect((await replayed.get('/admin/people/1')).status).to.equal(303);
      expect((await suppress(replayed, 'kept@example.com')).status).to.equal(401);
      expect((await second.get('/admin/')).status).to.equal(200);
      expect(await services.durableStatus.explain('kept@example.com')).to.include({
        status: null,
      });
    });

    it('an operator removed while logged in: every session of it ends at once, also after it is added again', async () => {
      const one = new AdminClient(svc.base);
      const two = new AdminClient(svc.base);
      await one.logIn(BOB);
      await two.logIn(BOB);
      expect((await one.get('/admin/')).status).to.equal(200);
      expect(await cli.operators.remove(BOB.name)).to.equal(true);
      for (const browser of [one, two]) {
        const page = await browser.get('/admin/');
        expect(page.status).to.equal(303);
        expect(page.location).to.include('ended=1');
        expect((await suppress(browser, 'removed@example.com')).status).to.equal(401);
      }
      // Added again with another password (how a stored operator's password is changed).
      await cli.operators.add(BOB.name, 'bob has another password');
      for (const browser of [one, two]) expect((await browser.get('/admin/')).status).to.equal(303);
      expect(await services.durableStatus.explain('removed@example.com')).to.include({
        status: null,
      });
    });
  });
}
