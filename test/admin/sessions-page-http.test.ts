import { expect } from 'chai';
import * as clients from '../../migrations/20261207000000_operator_session_clients.js';
import { runOperatorsCommand } from '../../src/cli/operators.command.js';
import { USER_AGENT_KEPT } from '../../src/domain/session-clients.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  ALICE,
  AdminClient,
  EVIL,
  operatorServiceFor,
  operatorsCliPerTest,
  operatorsCommandIo,
  type Reply,
} from './support.js';

const BOB = { name: 'bob', password: 'another long password' };

/** The session ids of the page's End buttons, in the order shown. */
const endIds = (page: Reply): string[] =>
  [...page.body.matchAll(/name="session" value="([0-9a-f]+)"/g)].map((m) => m[1]!);

/** Whether the client's session still opens the console. */
const opens = async (client: AdminClient): Promise<boolean> =>
  (await client.get('/admin/')).status === 200;

/** Through the real server: an operator's own sessions page, and ending one of them. */
for (const engine of testEngines()) {
  describe(`operator pages over HTTP: your sessions (${engine.name})`, function () {
    // Several logins, each a password hashed, on a shared machine.
    this.timeout(60000);
    let svc: TestService;

    beforeEach(async () => {
      svc = await startTestService(engine, { adminUsers: [ALICE, BOB] });
    });
    afterEach(() => svc.stop());

    const loggedIn = async (userAgent: string, credential = ALICE): Promise<AdminClient> => {
      const client = new AdminClient(svc.base, { 'User-Agent': userAgent });
      expect((await client.logIn(credential)).status).to.equal(303);
      return client;
    };

    it("lists the operator's own live sessions, this one marked, never another operator's", async () => {
      const laptop = await loggedIn('Laptop/1.0');
      await loggedIn('Phone/2.0');
      await loggedIn('BobsBrowser/3.0', BOB);

      const page = await laptop.get('/admin/sessions');
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Laptop/1.0').and.to.include('Phone/2.0');
      expect(page.body).not.to.include('BobsBrowser');
      // Two sessions: one End button (the phone's), this one marked instead.
      expect(endIds(page)).to.have.length(1);
      expect(page.body.match(/This session/g)).to.have.length(1);
      // The client address the console saw (the test's loopback).
      expect(page.body).to.match(/127\.0\.0\.1|::1/);
      // Neither the cookie's token nor its stored hash is shown.
      const token = [...laptop.cookies].find(([k]) => k.endsWith('du_admin_session'))![1];
      expect(page.body).not.to.include(token);
      expect(page.body).to.include('action="/admin/logout-others"');
      // Reached from the header of every page.
      expect((await laptop.get('/admin/')).body).to.include('href="/admin/sessions"');
    });

    it('ends the session chosen: that browser is logged out, the others go on', async () => {
      const laptop = await loggedIn('Laptop/1.0');
      const phone = await loggedIn('Phone/2.0');
      const tablet = await loggedIn('Tablet/3.0');
      const page = await laptop.get('/admin/sessions');
      // The latest login first: the tablet's, then the phone's.
      const [, phoneId] = endIds(page);

      const ended = await laptop.post('/admin/sessions/end', {
        _csrf: laptop.csrf,
        session: phoneId!,
      });
      expect(ended.status).to.equal(303);
      const after = await laptop.get(ended.location!);
      expect(after.body).to.include('Session ended.');
      expect(after.body).not.to.include('Phone/2.0');

      const sent = await phone.get('/admin/');
      expect(sent.status).to.equal(303);
      expect(sent.location).to.match(/ended=1$/);
      expect(await opens(laptop)).to.equal(true);
      expect(await opens(tablet)).to.equal(true);
    });

    it('refuses an end without the CSRF token, and ends nothing', async () => {
      const laptop = await loggedIn('Laptop/1.0');
      const phone = await loggedIn('Phone/2.0');
      const [phoneId] = endIds(await laptop.get('/admin/sessions'));
      const forms: Array<Record<string, string>> = [
        {},
        { _csrf: 'x'.repeat(43) },
        { _csrf: phone.csrf },
      ];
      for (const csrf of forms) {
        const refused = await laptop.post('/admin/sessions/end', { ...csrf, session: phoneId! });
        expect(refused.status).to.equal(403);
      }
      expect(await opens(phone)).to.equal(true);
    });

    it("cannot end another operator's session, nor one of a made-up id", async () => {
      const alices = await loggedIn('Laptop/1.0');
      const bobs = await loggedIn('BobsBrowser/3.0', BOB);
      await loggedIn('BobsPhone/4.0', BOB);
      const [bobsId] = endIds(await bobs.get('/admin/sessions'));

      for (const id of [bobsId!, '0'.repeat(32), 'f'.repeat(32), '', 'x'.repeat(5000), EVIL]) {
        const refused = await alices.post('/admin/sessions/end', {
          _csrf: alices.csrf,
          session: id,
        });
        expect(refused.status, id).to.equal(404);
        expect(refused.body).to.include('You have no such session');
        expect(refused.body).not.to.include(EVIL);
      }
      expect(await opens(bobs)).to.equal(true);
      expect(endIds(await bobs.get('/admin/sessions'))).to.deep.equal([bobsId]);
    });

    it("ends this browser's own session when its id is posted: a Log out", async () => {
      const laptop = await loggedIn('Laptop/1.0');
      const cli = operatorServiceFor(svc.config);
      try {
        const [own] = await cli.operators.sessionsOf('alice');
        const out = await laptop.post('/admin/sessions/end', {
          _csrf: laptop.csrf,
          session: own!.id,
        });
        expect(out.status).to.equal(303);
        expect(out.location).to.equal('/admin/login?out=1');
        expect(await cli.operators.sessionsOf('alice')).to.deep.equal([]);
      } finally {
        await cli.db.close();
      }
    });

    it('shows a hostile User-Agent escaped, and keeps a long one shortened', async () => {
      const hostile = await loggedIn(`${EVIL} \u0085evil`);
      const long = await loggedIn('L'.repeat(USER_AGENT_KEPT * 10));
      const page = await hostile.get('/admin/sessions');
      expect(page.body).not.to.include('<script>alert(1)</script>');
      expect(page.body).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
      expect(page.body).to.include('U+0085');
      expect(page.body).not.to.include('L'.repeat(USER_AGENT_KEPT));
      expect(page.body).to.include(`${'L'.repeat(USER_AGENT_KEPT - 1)}…`);
      expect(await opens(long)).to.equal(true);
    });

    it('shows sessions opened before addresses and browsers were kept (an upgrade) as not recorded', async () => {
      const laptop = await loggedIn('Laptop/1.0');
      const cli = operatorServiceFor(svc.config);
      try {
        // The migration undone and made again over the live session's row.
        await clients.down(cli.db.knex);
        await clients.up(cli.db.knex);
      } finally {
        await cli.db.close();
      }
      const page = await laptop.get('/admin/sessions');
      expect(page.status).to.equal(200);
      expect(page.body).to.include('This session');
      expect(page.body.match(/not recorded/g)).to.have.length(2);
      expect(page.body).not.to.include('Laptop/1.0');
    });

    it('shows the client address as TRUST_PROXY resolves it', async () => {
      const proxied = await startTestService(engine, { adminUsers: [ALICE], trustProxy: 1 });
      try {
        const client = new AdminClient(proxied.base, { 'X-Forwarded-For': '203.0.113.7' });
        expect((await client.logIn()).status).to.equal(303);
        expect((await client.get('/admin/sessions')).body).to.include('203.0.113.7');
      } finally {
        await proxied.stop();
      }
    });
  });

  describe(`operators sessions NAME (${engine.name})`, function () {
    this.timeout(60000);
    let made: Parameters<Parameters<typeof operatorsCliPerTest>[1]>[0];
    operatorsCliPerTest(engine, (m) => (made = m));

    it("lists an operator's sessions and ends the one named, which logs that browser out", async () => {
      const laptop = new AdminClient(made.svc.base, { 'User-Agent': 'Laptop/1.0' });
      const phone = new AdminClient(made.svc.base, { 'User-Agent': `Phone\u0085/2.0` });
      expect((await laptop.logIn()).status).to.equal(303);
      expect((await phone.logIn()).status).to.equal(303);

      const io = operatorsCommandIo();
      expect(await runOperatorsCommand(['sessions', 'alice'], made.cli.operators, io)).to.equal(0);
      const lines = io.out().trim().split('\n');
      expect(lines).to.have.length(2);
      // The latest login first; a control character shown escaped, never sent to the terminal.
      expect(lines[0]).to.include('Phone\\u0085/2.0');
      expect(lines[1]).to.include('Laptop/1.0');
      const phoneId = lines[0]!.split('\t')[0]!;

      const end = operatorsCommandIo();
      const args = ['sessions', 'alice', '--end', phoneId];
      expect(await runOperatorsCommand(args, made.cli.operators, end)).to.equal(0);
      expect(end.out()).to.include(`Ended session ${phoneId} of alice.`);
      expect(await opens(phone)).to.equal(false);
      expect(await opens(laptop)).to.equal(true);

      // Again: no such live session now; nothing else ends.
      const again = operatorsCommandIo();
      expect(await runOperatorsCommand(args, made.cli.operators, again)).to.equal(1);
      expect(again.err()).to.include('has no live session');
      expect(await opens(laptop)).to.equal(true);
    });

    it('says so for an unknown operator, and for --end without an id', async () => {
      const io = operatorsCommandIo();
      expect(await runOperatorsCommand(['sessions', 'nobody'], made.cli.operators, io)).to.equal(1);
      expect(io.err()).to.include('No operator nobody.');
      const none = operatorsCommandIo();
      expect(await runOperatorsCommand(['sessions', 'alice'], made.cli.operators, none)).to.equal(
        0,
      );
      expect(none.out()).to.equal('');
      const bare = operatorsCommandIo();
      const args = ['sessions', 'alice', '--end'];
      expect(await runOperatorsCommand(args, made.cli.operators, bare)).to.equal(2);
      expect(bare.err()).to.include('--end needs a value');
    });
  });
}
