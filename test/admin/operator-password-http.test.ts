import { expect } from 'chai';
import { runOperatorsCommand } from '../../src/cli/operators.command.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import {
  AdminClient,
  operatorServiceFor,
  operatorsCliPerTest,
  operatorsCommandIo,
} from './support.js';

const DORA = { name: 'dora', password: 'dora first password' };
const NEW_PASSWORD = 'dora second password';

/** Through the real server: "operators password NAME" and the sessions it ends. */
for (const engine of testEngines()) {
  describe(`operators password over HTTP (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let cli: ReturnType<typeof operatorServiceFor>;

    operatorsCliPerTest(engine, (made) => ({ svc, cli } = made));
    beforeEach(() => cli.operators.add(DORA.name, DORA.password));

    it('gives a stored operator a new password and ends every session it had', async () => {
      const laptop = new AdminClient(svc.base);
      const desk = new AdminClient(svc.base);
      expect((await laptop.logIn(DORA)).status).to.equal(303);
      expect((await desk.logIn(DORA)).status).to.equal(303);
      const alices = new AdminClient(svc.base);
      expect((await alices.logIn()).status).to.equal(303);

      const io = operatorsCommandIo(`${NEW_PASSWORD}\n`);
      expect(await runOperatorsCommand(['password', 'dora'], cli.operators, io)).to.equal(0);
      expect(io.err()).to.equal('');
      expect(io.out()).to.equal('Changed the password of dora and ended its 2 sessions.\n');
      expect((await laptop.get('/admin/')).status).to.equal(303);
      expect((await desk.get('/admin/')).status).to.equal(303);
      // Another operator's session goes on.
      expect((await alices.get('/admin/')).status).to.equal(200);

      expect((await new AdminClient(svc.base).logIn(DORA)).status).to.equal(401);
      const again = new AdminClient(svc.base);
      expect((await again.logIn({ name: 'dora', password: NEW_PASSWORD })).status).to.equal(303);
      expect((await again.get('/admin/')).status).to.equal(200);
    });

    it('changes nothing for a password refused, an unknown name or an ADMIN_USERS operator', async () => {
      const session = new AdminClient(svc.base);
      expect((await session.logIn(DORA)).status).to.equal(303);

      const refused = await runOperatorsCommand(
        ['password', 'dora'],
        cli.operators,
        operatorsCommandIo('short\n'),
      ).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(refused).to.match(/Password: 12 to 1024 characters/);

      const unknown = operatorsCommandIo(`${NEW_PASSWORD}\n`);
      expect(await runOperatorsCommand(['password', 'nobody'], cli.operators, unknown)).to.equal(1);
      expect(unknown.err()).to.equal('No stored operator nobody.\n');

      const configured = operatorsCommandIo(`${NEW_PASSWORD}\n`);
      expect(await runOperatorsCommand(['password', 'alice'], cli.operators, configured)).to.equal(
        1,
      );
      expect(configured.err()).to.include('alice is given in ADMIN_USERS');

      expect((await session.get('/admin/')).status).to.equal(200);
      expect((await new AdminClient(svc.base).logIn(DORA)).status).to.equal(303);
    });
  });
}
