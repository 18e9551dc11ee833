import { expect } from 'chai';
import sinon from 'sinon';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { activitiesOf, attr, getLead } from '../support/harness.js';
import { consolePerTest, postPersonFlag, type AdminClient } from './support.js';

const web = ChangePaths.webService();

/**
 * The person page reads the person before its write: a box another path sets in between is
 * that path's change. The page decides under the person's lock whether anything is left to do,
 * writes nothing when nothing is (the other path's reason stays), and its banner tells what
 * its own write did (docs/admin.md).
 */
for (const engine of testEngines()) {
  describe(`person page racing another path's change of the box (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));
    afterEach(() => sinon.restore());

    /** `other` runs once, after the page has read the person and its address's status. */
    function between(other: () => Promise<unknown>): void {
      const read = services.durableStatus.personWithStatus.bind(services.durableStatus);
      let ran = false;
      sinon.stub(services.durableStatus, 'personWithStatus').callsFake(async (...args) => {
        const seen = await read(...args);
        if (!ran) {
          ran = true;
          await other();
        }
        return seen;
      });
    }

    const create = async (email: string, unsubscribed: boolean, reason?: string) =>
      (
        await services.leads.sync(
          {
            email,
            attributes: [
              { name: 'Unsubscribed', value: String(unsubscribed) },
              ...(reason ? [{ name: 'UnsubscribedReason', value: reason }] : []),
            ],
          },
          { path: web },
        )
      ).leadId;

    const byThePage = async (id: number) =>
      (await activitiesOf(services, id)).filter((a) => attr(a, 'Source') === 'Person detail');

    it('an unsubscribe another path made first: nothing written, its reason kept, "nothing changed"', async () => {
      const email = 'first@example.com';
      const id = await create(email, false);
      between(() => services.leads.setUnsubscribed(id, true, web, 'Replied STOP'));
      const reply = await postPersonFlag(client, id, {
        unsubscribed: true,
        reason: 'asked by phone',
      });
      expect(reply.status, reply.body).to.equal(303);
      const person = await getLead(services, id);
      expect(person.unsubscribed).to.equal(true);
      const reason = person.attributes.find((a) => a.name === 'UnsubscribedReason');
      expect(reason?.value).to.equal('Replied STOP');
      expect((await services.durableStatus.explain(email)).status).to.include({
        unsubscribed: true,
        reason: 'Replied STOP',
      });
      expect(await byThePage(id)).to.deep.equal([]);
      expect(reply.location).to.equal(`/admin/people/${id}?saved=unchanged`);
    });

    it('a re-subscribe another path made first: nothing written, "nothing changed"', async () => {
      const email = 'back@example.com';
      const id = await create(email, true, 'asked by phone');
      between(() => services.leads.setUnsubscribed(id, false, web));
      const reply = await postPersonFlag(client, id, { unsubscribed: false });
      expect(reply.status, reply.body).to.equal(303);
      expect(reply.location).to.equal(`/admin/people/${id}?saved=unchanged`);
      expect((await getLead(services, id)).unsubscribed).to.equal(false);
      expect(await byThePage(id)).to.deep.equal([]);
    });

    it('an unsubscribe another path made first, stated by the page as a complaint: recorded', async () => {
      const email = 'complained@example.com';
      const id = await create(email, false);
      between(() => services.leads.setUnsubscribed(id, true, web, 'Replied STOP'));
      const reply = await postPersonFlag(client, id, { unsubscribed: true, reason: 'complaint' });
      expect(reply.status, reply.body).to.equal(303);
      expect(reply.location).to.equal(`/admin/people/${id}?saved=recorded`);
      expect((await services.durableStatus.explain(email)).status).to.include({
        unsubscribed: true,
        reason: 'complaint',
      });
    });
  });
}
