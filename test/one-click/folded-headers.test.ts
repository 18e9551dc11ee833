import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { listUnsubscribeHeaders } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import { get, oneClick, linkServicePerSuite, type LinkService } from './support.js';

const web = ChangePaths.webService();

/**
 * The URL a mail client reads from a List-Unsubscribe line the service folded (a token longer
 * than a mail line may hold: a long address in another script), unfolded as RFC 5322 unfolds
 * any header (the line breaks go, the space that starts each continuation stays), without
 * the further step RFC 2369 asks for (whitespace within the brackets ignored).
 */
function unfoldedUrl(headers: string): string {
  const line = headers.split('\r\n\r\n')[0]!.replace(/\r\n(?=[ \t])/g, '');
  return /^List-Unsubscribe:\s*<([^>]*)>/.exec(line)![1]!;
}

for (const engine of testEngines()) {
  describe(`a link read from a folded List-Unsubscribe line (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it("a provider's one-click with the fold's space in it unsubscribes the address", async () => {
      // Before: 400 malformed, the space (sent as %20) not being of the token's alphabet: an
      // opt-out lost through the very header the service printed.
      const email = `${'名'.repeat(245)}@例え.テスト`;
      await svc.services.leads.sync({ email }, { path: web });
      const url = unfoldedUrl(listUnsubscribeHeaders(svc.linkUrl(email, { list: 'l'.repeat(64) })));
      expect(url).to.match(/ /);
      const page = await get(url, { accept: 'text/html' });
      expect(page.status).to.equal(200);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      const done = await oneClick(url);
      expect(done.status).to.equal(200);
      expect(done.body).to.equal('Unsubscribed.\n');
      expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
    });
  });
}
