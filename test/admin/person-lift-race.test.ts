import { expect } from 'chai';
import sinon from 'sinon';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, postPersonFlag, type AdminClient } from './support.js';

const web = ChangePaths.webService();

/**
 * The person page checks whether a re-subscribe lifts a protected reason (a complaint) before
 * its write: a complaint recorded between that check and the write must not be lifted without
 * the operator's explicit confirmation (docs/admin.md).
 */
for (const engine of testEngines()) {
  describe(`person page re-subscribe racing a complaint (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));
    afterEach(() => sinon.restore());

    it('refuses the lift of a complaint recorded after the check, asks for the confirmation, and lifts it once confirmed', async () => {
      const email = 'race@example.com';
      const { leadId } = await services.leads.sync(
        {
          email,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'asked by phone' },
          ],
        },
        { path: web },
      );
      const write = services.leads.setUnsubscribedReporting.bind(services.leads);
      // The complaint arrives after the page's check, before its write.
      sinon.stub(services.leads, 'setUnsubscribedReporting').callsFake(async (...args) => {
        await services.durableStatus.setAddressStatus({
          address: email,
          unsubscribed: true,
          path: ChangePaths.addressStatus('bob'),
          reason: 'complaint',
          confirmProtected: false,
          now: Date.now(),
        });
        expect((await services.durableStatus.explain(email)).status?.reason).to.equal('complaint');
        return write(...args);
      });
      const reply = await postPersonFlag(client, leadId, { unsubscribed: false });
      expect(reply.status, reply.body).to.equal(409);
      expect(reply.body).to.include('I confirm lifting a complaint suppression');
      // Said on the confirmation box, which takes the focus; the title says it is a refusal.
      expect(reply.body).to.match(
        /<p class="error" id="lift-error" role="alert">A complaint was recorded since the page/,
      );
      expect(/<input\b[^>]*\bid="lift"[^>]*>/.exec(reply.body)?.[0]).to.match(
        /aria-describedby="lift-error lift-warning"[\s\S]*aria-invalid="true"/,
      );
      expect(reply.body).to.match(/<title>Error: Confirm: person /);
      const kept = (await services.durableStatus.explain(email)).status;
      expect(kept).to.include({ unsubscribed: true, reason: 'complaint' });
      const [person] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
      expect(person!.unsubscribed).to.equal(true);

      sinon.restore();
      const confirmed = await postPersonFlag(client, leadId, {
        unsubscribed: false,
        liftProtected: true,
      });
      expect(confirmed.status, confirmed.body).to.equal(303);
      expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(false);
    });
  });
}
