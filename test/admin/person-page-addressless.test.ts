import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, type AdminClient, postPersonFlag } from './support.js';

const web = ChangePaths.webService();

/**
 * A person without an address has no master status: its own protected reason is what keeps
 * its opt-out (docs/security.md). A complaint the person page records for such a person,
 * unsubscribed already for a plain reason, is kept as every other path keeps it, not answered
 * "unchanged" and dropped (an integration could then re-subscribe the person).
 */
for (const engine of testEngines()) {
  describe(`person page: a complaint for a person without an address (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('records the complaint, and no integration re-subscribes the person after it', async () => {
      const { leadId } = await services.leads.sync(
        {
          attributes: [
            { name: 'FirstName', value: 'Nomail' },
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'bounced' },
          ],
        },
        { path: web },
      );
      const reply = await postPersonFlag(client, leadId, {
        unsubscribed: true,
        reason: 'complaint',
      });
      expect(reply.status).to.equal(303);
      expect(reply.location).to.equal(`/admin/people/${leadId}?saved=recorded`);
      // It has no master status to name: the page says the person keeps the reason.
      expect((await client.get(reply.location!)).body).to.include(
        'the person now keeps this reason',
      );
      const [after] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
      expect(after!.unsubscribed).to.equal(true);
      expect(after!.attributes.find((a) => a.name === 'UnsubscribedReason')?.value).to.equal(
        'complaint',
      );
      // An integration's re-subscribe is refused: the complaint is an operator's to lift.
      let code: string | undefined;
      try {
        await services.leads.setUnsubscribed(leadId, false, web);
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code).to.equal(ErrorCode.LEAD_SYNC_FAILED);
    });
  });
}
