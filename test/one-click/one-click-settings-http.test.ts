import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { LinkTokens } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { expectTinyOneClickAnswer, get, oneClick, postForm, startLinkService } from './support.js';

/** The link service's settings, each on a service of its own (its limits: limits.test.ts). */
for (const engine of testEngines()) {
  describe(`one-click settings (${engine.name})`, function () {
    this.timeout(60000);

    it('without a link secret: SQLite uses its own from DATA_DIR, PostgreSQL answers 404; the configured sender shows', async () => {
      const off = await startLinkService(engine, { unsubscribeLinkSecret: '' });
      try {
        const a = await oneClick(off.linkUrl('lu@example.com'));
        if (engine.name === 'postgres') {
          expect(a.status).to.equal(404);
          expect(off.running.linksOn).to.equal(false);
        } else {
          // Links of another secret are refused; the install's own secret is in DATA_DIR.
          expect(a.status).to.equal(403);
          expect(off.running.linksOn).to.equal(true);
          const own = new LinkTokens(
            {
              current: {
                id: 'k1',
                secret: fs
                  .readFileSync(path.join(off.config.dataDir, 'unsubscribe-link.secret'), 'utf8')
                  .trim(),
              },
              retired: [],
            },
            0,
          );
          expectTinyOneClickAnswer(await oneClick(`${off.base}/u/${own.create('lu@example.com')}`));
        }
      } finally {
        await off.stop();
      }
      const branded = await startLinkService(engine, {
        unsubscribeSenderName: 'Acme <News>',
        unsubscribeLogoUrl: 'https://cdn.example.com/logo.png',
        unsubscribeUndoMinutes: 0,
      });
      try {
        const url = branded.linkUrl('mo@example.com');
        const page = await get(url);
        expect(page.body).to.contain('Acme &lt;News&gt; will no longer send emails');
        expect(page.body).to.contain(
          '<img src="https://cdn.example.com/logo.png" alt="Acme &lt;News&gt;"',
        );
        expect(page.headers.get('content-security-policy')).to.contain(
          'img-src https://cdn.example.com',
        );
        const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
        expect(done.body)
          .to.contain('You are unsubscribed')
          .and.not.to.contain('name="resubscribe"');
      } finally {
        await branded.stop();
      }
    });
  });
}
