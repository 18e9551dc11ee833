import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { postForm, startLinkService, type LinkService } from './support.js';

const web = ChangePaths.webService();
const PAGE_UNSUBSCRIBE = { 'List-Unsubscribe': 'One-Click', via: 'page' };

/** The page's undo offer counts its minutes in words: one minute is a minute. */
for (const engine of testEngines()) {
  describe(`the unsubscribe page's undo offer, in words (${engine.name})`, function () {
    this.timeout(30000);
    let svc: LinkService | undefined;
    afterEach(() => svc?.stop());

    const offer = async (minutes: number, lang: string) => {
      svc = await startLinkService(engine, { unsubscribeUndoMinutes: minutes });
      const email = `undo${minutes}${lang}@example.com`;
      await svc.services.leads.sync({ email }, { path: web });
      const done = await postForm(svc.linkUrl(email), { ...PAGE_UNSUBSCRIBE, lang });
      expect(done.status).to.equal(200);
      return /<p class="note"[^>]*>\s*([^<]*?)\s*<\/p>/.exec(done.body)?.[1];
    };

    it('one minute: "For the next minute", "Pendant une minute"', async () => {
      expect(await offer(1, 'en')).to.equal(
        'For the next minute you can undo this from this page.',
      );
      await svc!.stop();
      svc = undefined;
      expect(await offer(1, 'fr')).to.equal(
        'Pendant une minute, vous pouvez annuler depuis cette page.',
      );
    });

    it('several minutes: "For the next 15 minutes"', async () => {
      expect(await offer(15, 'en')).to.equal(
        'For the next 15 minutes you can undo this from this page.',
      );
    });
  });
}
