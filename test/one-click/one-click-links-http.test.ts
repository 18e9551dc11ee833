import { expect } from 'chai';
import { LinkTokens } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import {
  addressPeople,
  expectTinyOneClickAnswer,
  get,
  KEY_1,
  KEY_2,
  linkServicePerSuite,
  MAX_AGE_DAYS,
  oneClick,
  historyOf,
  type LinkService,
} from './support.js';
import { flagsOf } from '../support/people.js';

/**
 * Which links are honoured: the retired key's still, and altered, forged, unknown-key and
 * expired ones never. (The refusals' test reads the metrics: the one-click accepted there was
 * the rotation test's.)
 */
for (const engine of testEngines()) {
  describe(`one-click unsubscribe over HTTP: link tokens (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    linkServicePerSuite(engine, (made) => (svc = made));
    const people = (email: string) => addressPeople(svc, email);

    it('key rotation: links of the retired key still work', async () => {
      await people('gus@example.com');
      const old = new LinkTokens({ current: KEY_2, retired: [] }, 0);
      expectTinyOneClickAnswer(await oneClick(`${svc.base}/u/${old.create('gus@example.com')}`));
      expect(await flagsOf(svc.services, 'gus@example.com')).to.deep.equal([true, true]);
    });

    it('refuses altered, forged, unknown-key and expired tokens, changing nothing', async () => {
      await people('fay@example.com');
      const url = svc.linkUrl('fay@example.com');
      const token = url.slice(url.lastIndexOf('/') + 1);
      const at = token.length - 10;
      const altered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      const stranger = new LinkTokens(
        { current: { id: 'k9', secret: KEY_1.secret }, retired: [] },
        0,
      );
      const forger = new LinkTokens(
        { current: { id: 'k1', secret: 'guessed-secret-0123456789abcdefghijk' }, retired: [] },
        0,
      );
      const cases: Array<[string, number, string]> = [
        [altered, 403, 'bad_signature'],
        [forger.create('fay@example.com'), 403, 'bad_signature'],
        [stranger.create('fay@example.com'), 403, 'unknown_key'],
        [
          svc.tokens.create('fay@example.com', {
            issuedAt: Math.floor(Date.now() / 1000) - (MAX_AGE_DAYS + 1) * 86400,
          }),
          410,
          'expired',
        ],
        ['1.k1.%2e%2e', 400, 'malformed'],
        ['not-a-token', 400, 'malformed'],
      ];
      for (const [bad, status] of cases) {
        const a = await oneClick(`${svc.base}/u/${bad}`);
        expect(a.status, bad).to.equal(status);
        const page = await get(`${svc.base}/u/${bad}`, { 'accept-language': 'fr' });
        expect(page.status).to.equal(status);
        expect(page.body).to.match(
          status === 410 ? /Ce lien a expiré/ : /Ce lien n’est pas valide/,
        );
      }
      expect(await flagsOf(svc.services, 'fay@example.com')).to.deep.equal([false, false]);
      expect(await historyOf(svc.services, 'fay@example.com')).to.have.length(0);
      // Metrics are served on their own loopback listener (METRICS_PORT), not the public port.
      const metrics = await (
        await fetch(`http://127.0.0.1:${svc.running.metricsPort}/metrics`)
      ).text();
      for (const [, , reason] of cases)
        expect(metrics).to.match(
          new RegExp(`du_link_refusals_total\\{reason="${reason}"\\} [1-9]`),
        );
      expect(metrics).to.match(/du_link_unsubscribes_total\{outcome="accepted"\} [1-9]/);
    });
  });
}
