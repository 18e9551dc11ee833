import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import {
  get,
  historyOf,
  oneClick,
  linkServicePerSuite,
  sealedBytesBySender,
  type LinkService,
} from './support.js';

const web = ChangePaths.webService();
const now = () => Math.floor(Date.now() / 1000);

/**
 * A link whose address a sender's pipeline sealed in another encoding than the recipe's UTF-8
 * (a Java or PHP default charset: `café@` as Latin-1 bytes). Read with replacement characters,
 * it unsubscribed an address nobody holds ("caf\uFFFD@…") and answered "Unsubscribed." while the
 * person's own address stayed subscribed: an acknowledged opt-out lost.
 */
for (const engine of testEngines()) {
  describe(`a link whose address is not UTF-8 (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it('is refused as not valid (400), nothing stored under any spelling', async () => {
      const email = 'café-latin1@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const plain = Buffer.concat([Buffer.from(`${now()}\n\n`), Buffer.from(email, 'latin1')]);
      const url = `${svc.base}/u/${sealedBytesBySender(plain)}`;
      const done = await oneClick(url);
      expect(done.status).to.equal(400);
      expect(done.body).to.equal('This unsubscribe link is not valid.\n');
      expect((await get(url)).status).to.equal(400);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      expect(await historyOf(svc.services, email)).to.deep.equal([]);
      const mangled = Buffer.from(email, 'latin1').toString('utf8');
      expect(mangled).to.include('\uFFFD');
      expect(await historyOf(svc.services, mangled)).to.deep.equal([]);
    });

    it('is refused for a byte sequence UTF-8 never writes (an overlong "a")', async () => {
      const plain = Buffer.concat([
        Buffer.from(`${now()}\n\novl@ex`),
        Buffer.from([0xc1, 0xa1]),
        Buffer.from('mple.com'),
      ]);
      expect((await oneClick(`${svc.base}/u/${sealedBytesBySender(plain)}`)).status).to.equal(400);
    });

    it('is honoured when only its list name is not UTF-8 (the list is not recorded)', async () => {
      const email = 'café-utf8@example.com';
      await svc.services.leads.sync({ email }, { path: web });
      const plain = Buffer.concat([
        Buffer.from(`${now()}\n`),
        Buffer.from('Actualités', 'latin1'),
        Buffer.from(`\n${email}`, 'utf8'),
      ]);
      const done = await oneClick(`${svc.base}/u/${sealedBytesBySender(plain)}`);
      expect(done.status).to.equal(200);
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
      const [change] = await historyOf(svc.services, email);
      expect(change!.reason).to.equal('Unsubscribe link');
    });
  });
}
