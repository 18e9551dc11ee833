import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { LinkTokens, type LinkContent } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import {
  get,
  historyOf,
  KEY_1,
  oneClick,
  linkServicePerSuite,
  type LinkService,
} from './support.js';

/**
 * Tokens as a sender's own pipeline writes them with the base64url encoder its platform
 * offers first: Java's Base64.getUrlEncoder(), Go's base64.URLEncoding and Python's
 * urlsafe_b64encode all pad with "=" (RFC 4648, section 5), where the recipe strips it.
 */
const web = ChangePaths.webService();

const padded = (token: string): string =>
  token + '='.repeat((4 - ((token.length - token.lastIndexOf('.') - 1) % 4)) % 4);

function opened(tokens: LinkTokens, token: string): LinkContent {
  const verified = tokens.verify(token);
  if (!verified.ok) throw new Error(`not a link: ${verified.reason}`);
  return verified.link;
}

/** A token of each body length that padding lengthens (one "=", two "="), for `prefix`. */
function tokensOfEachPadding(tokens: LinkTokens, prefix: string): string[] {
  const found = new Map<number, string>();
  for (let i = 0; found.size < 2; i++) {
    const token = tokens.create(`${prefix}${'x'.repeat(i)}@example.com`);
    const body = token.slice(token.lastIndexOf('.') + 1);
    if (body.length % 4 !== 0) found.set(body.length % 4, token);
  }
  return [...found.values()];
}

describe('link tokens with base64url padding', () => {
  const tokens = new LinkTokens({ current: KEY_1, retired: [] }, 90 * 86400);

  it('open as the same link as without it; any other number of "=" is refused', () => {
    for (const token of tokensOfEachPadding(tokens, 'pad')) {
      const plain = tokens.verify(token);
      const withPadding = tokens.verify(padded(token));
      expect(withPadding.ok, padded(token).slice(-4)).to.equal(true);
      expect(withPadding).to.deep.equal(plain);
      const needed = padded(token).length - token.length;
      for (let n = 1; n <= 3; n++)
        if (n !== needed)
          expect(tokens.verify(token + '='.repeat(n)), `${n} "="`).to.deep.equal({
            ok: false,
            reason: 'malformed',
          });
    }
    // A body that takes no padding takes none.
    let whole = tokens.create('a@example.com');
    for (let i = 0; padded(whole) !== whole; i++)
      whole = tokens.create(`${'a'.repeat(i)}@example.com`);
    expect(tokens.verify(whole).ok).to.equal(true);
    expect(tokens.verify(`${whole}====`).ok).to.equal(false);
  });
});

for (const engine of testEngines()) {
  describe(`one-click links a sender padded (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (made) => (svc = made));

    it("a provider's one-click to a padded link unsubscribes the address", async () => {
      // Before: 400 malformed for the POST, while a GET was sent on to the unpadded link (its
      // page worked when the sender tried it): every such opt-out of a mailbox provider lost.
      for (const token of tokensOfEachPadding(svc.tokens, 'padded')) {
        const { email, linkId } = opened(svc.tokens, token);
        await svc.services.leads.sync({ email }, { path: web });
        const url = `${svc.base}/u/${padded(token)}`;
        // As a mail client may escape it, too.
        const escaped = await oneClick(url.replace(/=/g, '%3D'));
        expect(escaped.status, url.slice(-4)).to.equal(200);
        const done = await oneClick(url);
        expect(done.status, url.slice(-4)).to.equal(200);
        expect(done.body).to.equal('Unsubscribed.\n');
        expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
        // Its page too, at once (it was sent on to the unpadded link).
        const page = await get(url, { accept: 'text/html' });
        expect(page.status, url.slice(-4)).to.equal(200);
        const history = await historyOf(svc.services, email);
        expect(history[0]!.source).to.equal(`Unsubscribe link (link ${linkId})`);
      }
    });

    it('a link with padding it does not take is refused and changes nothing', async () => {
      const [token] = tokensOfEachPadding(svc.tokens, 'misp');
      const { email } = opened(svc.tokens, token!);
      await svc.services.leads.sync({ email }, { path: web });
      const needed = padded(token!).length - token!.length;
      const wrong = `${svc.base}/u/${token}${'='.repeat(needed === 1 ? 2 : 1)}`;
      const refused = await oneClick(wrong);
      expect(refused.status).to.equal(400);
      expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      expect(await historyOf(svc.services, email)).to.have.length(0);
    });
  });
}
