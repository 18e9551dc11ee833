import { expect } from 'chai';
import { oneClickSettings } from '../../src/config/one-click.settings.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { linkKeyFingerprint, unsubscribeLink } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';
import { KEY_1, oneClick, startLinkService, type LinkService } from './support.js';

const web = ChangePaths.webService();

/**
 * The secret as a secret store or a file hands it over, with its line end (`kubectl create
 * secret --from-file`, a `.env` line with a trailing space): the service reads
 * UNSUBSCRIBE_LINK_SECRET trimmed, and a sender given the same value must make links it opens.
 */
const RAW_SECRETS = [`${KEY_1.secret}\n`, `${KEY_1.secret}\r\n`, ` ${KEY_1.secret}\t`];

describe('the link secret with white space around it', () => {
  it('seals the same links and fingerprint as the service reading it from its setting', () => {
    const read = oneClickSettings.unsubscribeLinkSecret.parse(RAW_SECRETS[0]!);
    for (const raw of RAW_SECRETS)
      expect(linkKeyFingerprint({ id: KEY_1.id, secret: raw }), JSON.stringify(raw)).to.equal(
        linkKeyFingerprint({ id: KEY_1.id, secret: read }),
      );
  });
});

for (const engine of testEngines()) {
  describe(`a sender's link made with the secret as its environment gives it (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    before(async () => {
      // The service's setting, read from the same value as the sender's.
      const secret = oneClickSettings.unsubscribeLinkSecret.parse(RAW_SECRETS[0]!);
      svc = await startLinkService(engine, { unsubscribeLinkSecret: secret });
    });
    after(() => svc?.stop());

    it('is honoured: its one-click unsubscribes the address', async () => {
      // Before: sealed under the secret with its line end, every such link was refused (403,
      // nothing stored) while the service's own `link` command made good ones: every opt-out
      // a mailbox provider reported done was lost.
      for (const [i, raw] of RAW_SECRETS.entries()) {
        const email = `spaced.secret.${i}@example.com`;
        await svc.services.leads.sync({ email }, { path: web });
        const url = unsubscribeLink(email, {
          baseUrl: svc.base,
          key: { id: KEY_1.id, secret: raw },
        });
        const done = await oneClick(url);
        expect(done.status, JSON.stringify(raw)).to.equal(200);
        expect(done.body).to.equal('Unsubscribed.\n');
        expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
      }
    });
  });
}
