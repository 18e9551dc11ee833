import { expect } from 'chai';
import { reasonSentence } from '../../src/admin/layout.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, type AdminClient } from './support.js';

/**
 * A person unsubscribed without a reason (an integration's Unsubscribed=true alone) was shown
 * "Reason: —.", a dash a screen reader reads as nothing, or as "em dash": the page says in
 * words that no reason was recorded. The master status's reason is said the same way.
 */
describe('operator console: a reason in words', () => {
  it('names a reason given, and says when none was', () => {
    expect(reasonSentence('asked by phone').value).to.equal('Reason: asked by phone.');
    expect(reasonSentence('<b>').value).to.equal('Reason: &lt;b&gt;.');
    for (const none of [null, undefined, '', '  '])
      expect(reasonSentence(none).value).to.equal('No reason recorded.');
  });
});

for (const engine of testEngines()) {
  describe(`operator console: an unsubscribe without a reason (${engine.name})`, function () {
    this.timeout(60000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    const unsubscribed = (email: string, reason?: string) =>
      services.leads.sync(
        {
          email,
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            ...(reason ? [{ name: 'UnsubscribedReason', value: reason }] : []),
          ],
        },
        { path: ChangePaths.webService() },
      );

    it('says "No reason recorded." of the person\'s box', async () => {
      const { leadId } = await unsubscribed('quiet@example.com');
      const person = await client.get(`/admin/people/${leadId}`);
      expect(person.status).to.equal(200);
      expect(person.body).to.not.match(/Reason:\s*—/);
      expect(person.body).to.include(
        `This person's box: <span class="status-yes">Unsubscribed</span>. No reason recorded.</p>`,
      );
    });

    it('still names a reason that was given', async () => {
      const { leadId } = await unsubscribed('said@example.com', 'asked by phone');
      const person = await client.get(`/admin/people/${leadId}`);
      expect(person.body).to.include('Unsubscribed</span>. Reason: asked by phone.</p>');
      expect(person.body).to.not.include('No reason recorded.');
    });
  });
}
