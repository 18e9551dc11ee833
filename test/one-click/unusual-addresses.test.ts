import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { validateEmail } from '../../src/domain/email-key.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import { get, oneClick, postForm, linkServicePerSuite, type LinkService } from './support.js';

const web = ChangePaths.webService();

for (const engine of testEngines()) {
  describe(`one-click links for addresses of unusual spellings (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it('a long address in another script: its link, as the service makes it, opens and unsubscribes', async () => {
      // 207 code units, a valid address for every path; over 600 bytes of UTF-8.
      const email = `${'名'.repeat(200)}@例え.テスト`;
      expect(validateEmail(email)).to.equal(email);
      await svc.services.leads.sync({ email }, { path: web });
      const url = svc.linkUrl(email, { list: 'november-news' });
      const page = await get(url, { accept: 'text/html' });
      expect(page.status).to.equal(200);
      expect(page.body).to.contain('名名•••@例•••.テスト');
      const done = await oneClick(url);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });

    it('the page of such a link undoes its own unsubscribe, as for any address', async () => {
      const email = `${'я'.repeat(200)}@${'б'.repeat(40)}.рф`;
      await svc.services.leads.sync({ email }, { path: web });
      const url = svc.linkUrl(email, { list: 'november-news' });
      const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(done.status).to.equal(200);
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
      const proof = /name="resubscribe" value="([^"]+)"/.exec(done.body)?.[1];
      expect(proof).to.be.a('string');
      const undone = await postForm(url, { resubscribe: proof! });
      expect(undone.status).to.equal(200);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
    });

    it('other spellings of the address reach its holder; a quoted local part is shown escaped', async () => {
      await svc.services.leads.sync({ email: 'ann@bücher.de' }, { path: web });
      expect((await oneClick(svc.linkUrl('"ANN"@xn--bcher-kva.de.'))).status).to.equal(200);
      expect(await flagsOf(svc.services, 'ann@bücher.de')).to.deep.equal([true]);
      const page = await get(svc.linkUrl('"<b>x</b>"@example.com'), { accept: 'text/html' });
      expect(page.status).to.equal(200);
      expect(page.body).to.contain('&quot;&lt;•••@e•••.com');
      expect(page.body).not.to.contain('<b>');
    });
  });
}
