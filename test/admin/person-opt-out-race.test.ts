import { expect } from 'chai';
import sinon from 'sinon';
import { EmailStatusRepository } from '../../src/data-access/sql/email-status.repository.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode, isAppError } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, postPersonFlag, type AdminClient } from './support.js';

const web = ChangePaths.webService('feed');

/**
 * The person page decides whether an opt-out changes nothing (the box says so already, and the
 * address's status needs nothing recorded) on reads made before its write: the person, then
 * its address's status. An integration's re-subscribe committed between those two reads made
 * them disagree (the person unsubscribed, the address subscribed), and the page answered
 * "unchanged" to an opt-out it never wrote: the operator's complaint was lost, the address left
 * subscribed, and the next re-subscribe had nothing to refuse (docs/admin.md).
 */
for (const engine of testEngines()) {
  describe(`person page opt-out racing a re-subscribe (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));
    afterEach(() => sinon.restore());

    /**
     * Runs `between` once, at the first read of `key`'s status once armed: after the page has
     * read the person, before it reads the status (the status read of the page's write
     * included, when it reads no status before).
     */
    function between(key: string, run: () => Promise<unknown>): { ran: () => boolean } {
      const get = EmailStatusRepository.prototype.get;
      let armed = true;
      sinon.stub(EmailStatusRepository.prototype, 'get').callsFake(async function (
        this: EmailStatusRepository,
        k: string,
      ) {
        if (armed && k === key) {
          armed = false;
          await run();
        }
        return get.call(this, k);
      });
      return { ran: () => !armed };
    }

    it('keeps the complaint the operator confirmed: recorded, and the next re-subscribe refused', async () => {
      const email = 'opt-race@example.com';
      const key = 'opt-race@example.com';
      const { leadId } = await services.leads.sync(
        { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
      const other = await services.leads.sync(
        { email, foreignSysPersonId: 'other-1', attributes: [{ name: 'FirstName', value: 'Bo' }] },
        { path: web, matchByEmail: false },
      );
      // An integration's re-subscribe commits after the page read the person as unsubscribed.
      const hook = between(key, () =>
        services.leads.sync(
          { id: leadId, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
          { path: web },
        ),
      );
      const reply = await postPersonFlag(client, leadId, {
        unsubscribed: true,
        reason: 'complaint',
      });
      expect(hook.ran(), 'the re-subscribe ran between the reads').to.equal(true);
      sinon.restore();
      expect(reply.status, reply.body).to.equal(303);
      // Either order keeps the operator's complaint: recorded after the re-subscribe.
      const status = (await services.durableStatus.explain(email)).status;
      expect(status).to.include({ unsubscribed: true, reason: 'complaint' });
      const [person] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
      expect(person!.unsubscribed).to.equal(true);
      const [sharing] = await services.leads.find({
        keyType: 'IDNUM',
        keyValue: String(other.leadId),
      });
      expect(sharing!.unsubscribed).to.equal(true);
      // And no integration may lift it.
      const again = services.leads.sync(
        { id: leadId, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web },
      );
      const refused = await again.then(
        () => null,
        (e: unknown) => e,
      );
      expect(isAppError(refused) && refused.code, 'lifted by the web service').to.equal(
        ErrorCode.LEAD_SYNC_FAILED,
      );
      expect((await services.durableStatus.explain(email)).status).to.include({
        unsubscribed: true,
        reason: 'complaint',
      });
    });

    it('still answers an opt-out of a person unsubscribed all along as unchanged, writing nothing', async () => {
      const email = 'opt-still@example.com';
      const { leadId } = await services.leads.sync(
        {
          email,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: 'complaint' },
          ],
        },
        { path: web },
      );
      const before = (await services.durableStatus.explain(email)).history.length;
      const write = sinon.spy(services.leads, 'setUnsubscribedReporting');
      const reply = await postPersonFlag(client, leadId, { unsubscribed: true, reason: 'bounced' });
      expect(reply.status, reply.body).to.equal(303);
      expect(reply.location).to.include('saved=unchanged');
      expect(write.called, 'the page went to its write').to.equal(false);
      const report = await services.durableStatus.explain(email);
      expect(report.history.length).to.equal(before);
      expect(report.status).to.include({ unsubscribed: true, reason: 'complaint' });
      const [person] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
      expect(person!.attributes.find((a) => a.name === 'UnsubscribedReason')?.value).to.equal(
        'complaint',
      );
    });

    it('leaves the decision to its write when the person keeps changing while read', async () => {
      const email = 'opt-busy@example.com';
      const { leadId } = await services.leads.sync(
        { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
      // Every status read of the address, until the page writes, comes with a change of the
      // person (its first name).
      const get = EmailStatusRepository.prototype.get;
      let busy = true;
      let changes = 0;
      sinon.stub(EmailStatusRepository.prototype, 'get').callsFake(async function (
        this: EmailStatusRepository,
        k: string,
      ) {
        if (k === email && busy) {
          changes++;
          const name = { name: 'FirstName', value: `Pat ${changes}` };
          await services.leads.sync({ id: leadId, attributes: [name] }, { path: web });
        }
        return get.call(this, k);
      });
      const setUnsubscribed = services.leads.setUnsubscribedReporting.bind(services.leads);
      const write = sinon.stub(services.leads, 'setUnsubscribedReporting').callsFake((...args) => {
        busy = false;
        return setUnsubscribed(...args);
      });
      const reply = await postPersonFlag(client, leadId, { unsubscribed: true });
      expect(reply.status, reply.body).to.equal(303);
      expect(write.calledOnce, 'the page went to its write').to.equal(true);
      expect(changes, 'changes while the page read').to.be.above(1);
      sinon.restore();
      expect((await services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
    });
  });
}
