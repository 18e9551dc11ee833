/**
 * A re-subscribing Change Data Value starts where its preview was read, not when the operator
 * confirms it: an opt-out recorded between the preview the operator saw and the confirmation
 * (the recipient's own, by another path) was never seen by them, and is not lifted. The
 * preview's point comes back with the confirmation form, operator-supplied data: a malformed
 * one is refused, and one later than now is taken as now. Over HTTP, as a browser posts them.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { OPTED_OUT_SINCE } from '../../src/domain/opt-outs-since.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, formOf, until, type AdminClient } from './support.js';

const web = ChangePaths.webService();

for (const engine of testEngines()) {
  describe(`a Change Data Value lift starts at its preview (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;
    consolePerTest(engine, (c) => ({ services, client } = c));

    const optOut = (email: string, reason: string) =>
      services.leads.sync(
        {
          email,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: reason },
          ],
        },
        { path: web },
      );
    const unsubscribed = async (email: string) =>
      (await services.durableStatus.explain(email)).status?.unsubscribed;

    /** Ann bounced, Bob subscribed; the lift of both previewed: the form the preview offers. */
    async function previewed(): Promise<{
      ann: number;
      bob: number;
      form: Record<string, string>;
    }> {
      const ann = (await optOut('ann@example.com', 'bounced')).leadId;
      const bob = (await services.leads.sync({ email: 'bob@example.com' }, { path: web })).leadId;
      const page = await client.post('/admin/bulk/preview', {
        _csrf: client.csrf,
        list: 'ann@example.com\nbob@example.com',
        field: 'Unsubscribed',
        value: 'false',
      });
      expect(page.status, page.body).to.equal(200);
      expect(page.body).to.include('>Apply to 2 people</button>');
      return { ann, bob, form: formOf(page.body, '/admin/bulk/start') };
    }

    async function confirmed(form: Record<string, string>) {
      const started = await client.post('/admin/bulk/start', form);
      expect(started.status, started.body).to.equal(303);
      const id = Number(/jobs\/(\d+)$/.exec(started.location!)![1]);
      await until(
        async () => (await services.bulkChanges.status(id)).job.state === 'done',
        'the job',
      );
      return services.bulkChanges.status(id);
    }

    it('does not lift an opt-out recorded between the preview and the confirmation', async () => {
      const { bob, form } = await previewed();
      // Bob unsubscribes after the operator saw the preview, before they confirm it.
      await optOut('bob@example.com', 'asked to stop');
      const status = await confirmed(form);
      expect(status.totals).to.include({ changed: 1, failed: 1 });
      expect(status.failures).to.deep.equal([{ id: bob, why: OPTED_OUT_SINCE }]);
      expect(await unsubscribed('ann@example.com')).to.equal(false);
      expect(await unsubscribed('bob@example.com')).to.equal(true);
      expect((await services.durableStatus.explain('bob@example.com')).status?.reason).to.equal(
        'asked to stop',
      );
    });

    it('lifts what the preview showed when nothing happened since', async () => {
      const { form } = await previewed();
      const status = await confirmed(form);
      expect(status.totals).to.include({ changed: 1, unchanged: 1, failed: 0 });
      expect(await unsubscribed('ann@example.com')).to.equal(false);
    });

    it('a point later than the newest (forged) lifts no more than a confirmation without one', async () => {
      const { bob, form } = await previewed();
      await optOut('bob@example.com', 'asked to stop');
      const forged = { ...form, previewHistoryId: '2147483647', previewAt: '9999999999999' };
      const status = await confirmed(forged);
      // Taken as now: Bob's opt-out, made before the confirmation, is what that lifts.
      expect(status.totals).to.include({ changed: 2, failed: 0 });
      expect(status.failures.map((f) => f.id)).to.not.include(bob);
    });

    it('refuses a malformed point, starting nothing; without one it starts at the confirmation', async () => {
      const { form } = await previewed();
      expect(form.previewHistoryId).to.match(/^\d+$/);
      expect(form.previewAt).to.match(/^\d+$/);
      const malformed: Array<Record<string, string>> = [
        { previewHistoryId: '12abc' },
        { previewHistoryId: '-1' },
        { previewAt: '1e12' },
        { previewHistoryId: '99999999999' },
      ];
      for (const bad of malformed) {
        const refused = await client.post('/admin/bulk/start', { ...form, ...bad });
        expect(refused.status, JSON.stringify(bad)).to.equal(400);
        expect(refused.body).to.include('Preview again');
      }
      // Sent twice, a part is a list to the form parser: refused too, not read as absent.
      for (const name of ['previewHistoryId', 'previewAt']) {
        const twice = new URLSearchParams(form);
        twice.append(name, form[name]!);
        const refused = await client.post('/admin/bulk/start', twice);
        expect(refused.status, `${name} twice`).to.equal(400);
        expect(refused.body).to.include('Preview again');
      }
      expect(await services.bulkChanges.recent()).to.deep.equal([]);
      // A confirmation page of an earlier version carries no point: the job starts now.
      const older = { ...form };
      delete older.previewHistoryId;
      delete older.previewAt;
      const status = await confirmed(older);
      expect(status.totals).to.include({ changed: 1, unchanged: 1, failed: 0 });
    });
  });
}
