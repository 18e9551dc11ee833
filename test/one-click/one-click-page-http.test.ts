import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import {
  addressPeople,
  expectTinyOneClickAnswer,
  get,
  historyOf,
  linkServicePerSuite,
  oneClick,
  postForm,
  type LinkService,
} from './support.js';
import { flagsOf } from '../support/people.js';

const web = ChangePaths.webService();

/** The unsubscribe page: its button, its confirmation, and the undo only its own change allows. */
for (const engine of testEngines()) {
  describe(`one-click unsubscribe over HTTP: the page and its undo (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    linkServicePerSuite(engine, (made) => (svc = made));
    const people = (email: string) => addressPeople(svc, email);

    it('the page: button → confirmation → resubscribe, recorded as the person’s own, once', async () => {
      await people('hal@example.com');
      const url = svc.linkUrl('hal@example.com');
      const done = await postForm(url, {
        'List-Unsubscribe': 'One-Click',
        via: 'page',
        lang: 'fr',
      });
      expect(done.status).to.equal(200);
      expect(done.body).to.contain('Vous êtes désinscrit').and.contain('me réinscrire');
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([true, true]);
      const code = /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]!;
      // A wrong proof, or none, changes nothing.
      expect(
        (await postForm(url, { resubscribe: code.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }))
          .status,
      ).to.equal(403);
      expect((await postForm(url, { resubscribe: '' })).status).to.equal(403);
      expect((await postForm(url, { nothing: '' })).status).to.equal(400);
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([true, true]);
      // Another link of the same address cannot use the proof.
      const other = svc.linkUrl('hal@example.com', { list: 'other' });
      expect((await postForm(other, { resubscribe: code })).status).to.equal(403);
      const undone = await postForm(url, { resubscribe: code, lang: 'en' });
      expect(undone.status).to.equal(200);
      expect(undone.body).to.contain('You are subscribed again');
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([false, false]);
      const history = await historyOf(svc.services, 'hal@example.com');
      expect(history.map((h) => [h.unsubscribed, h.reason])).to.deep.equal([
        [true, 'Unsubscribe link'],
        [false, 'Resubscribed by the person on the unsubscribe page'],
      ]);
      expect(history[1]!.source).to.equal(history[0]!.source);
      // The proof was for that change only: unsubscribing again by one-click cannot be undone with it.
      expectTinyOneClickAnswer(await oneClick(url));
      expect((await postForm(url, { resubscribe: code })).status).to.equal(403);
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([true, true]);
    });

    it('a link cannot lift an opt-out it did not make, nor one a provider’s one-click made', async () => {
      const [ivy] = await people('ivy@example.com');
      await svc.services.leads.setUnsubscribed(ivy!, true, web);
      const url = svc.linkUrl('ivy@example.com');
      const page = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(page.status).to.equal(200);
      expect(page.body).to.contain('is unsubscribed').and.not.to.contain('name="resubscribe"');
      expect((await get(url)).body)
        .to.contain('is unsubscribed')
        .and.not.to.contain('<form');
      // A provider's one-click, then the page: no proof is ever shown.
      await people('jo@example.com');
      const jo = svc.linkUrl('jo@example.com');
      expectTinyOneClickAnswer(await oneClick(jo));
      const after = await postForm(jo, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(after.body).not.to.contain('name="resubscribe"');
      const forged = svc.tokens.undoCode('0000000000000000', 0);
      expect((await postForm(jo, { resubscribe: forged })).status).to.equal(403);
      expect(await flagsOf(svc.services, 'ivy@example.com')).to.deep.equal([true, true]);
      expect(await flagsOf(svc.services, 'jo@example.com')).to.deep.equal([true, true]);
    });
  });
}
