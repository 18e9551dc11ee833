/**
 * Values holding bidi controls, zero-width characters and piles of combining marks, on the
 * console's pages: shown as code points where an operator reads them, kept exactly in forms
 * and downloads, and stored as given.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, type AdminClient } from './support.js';

const web = ChangePaths.webService();
const box = (label: string) => `<span class="unseen">${label}</span>`;

for (const engine of testEngines()) {
  describe(`operator console over HTTP: hostile characters in values (${engine.name})`, function () {
    this.timeout(60000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('shows the unseen characters of a name and a reason, isolates a right-to-left name, stores both as given', async () => {
      const reason = 'asked\u200bby\u2066phone\u0085';
      const { leadId } = await services.leads.sync(
        {
          email: 'hostile@example.com',
          attributes: [
            { name: 'FirstName', value: 'Ann\u202eevil' },
            { name: 'LastName', value: `Z${'\u0301'.repeat(30)}` },
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: reason },
          ],
        },
        { path: web },
      );
      const person = await client.get(`/admin/people/${leadId}`);
      expect(person.status).to.equal(200);
      const shownReason = `asked${box('U+200B')}by${box('U+2066')}phone${box('U+0085')}`;
      expect(person.body).to.include(`Reason: <bdi>${shownReason}</bdi>.`);
      expect(person.body).to.include(`Ann${box('U+202E')}evil`);
      expect(person.body).to.include(`Z${'\u0301'.repeat(4)}${box('+26 marks')}`);
      // Outside attributes, none of them reaches the page as it is.
      const text = person.body.replace(/<[^>]*>/g, '');
      expect(text).to.not.match(/[\u202e\u200b\u2066\u0085]/);
      // Stored as given.
      const [lead] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
      const attribute = (name: string) => lead!.attributes.find((a) => a.name === name)?.value;
      expect(attribute('FirstName')).to.equal('Ann\u202eevil');
      expect(attribute('UnsubscribedReason')).to.equal(reason);

      await services.leads.sync(
        { email: 'hebrew@example.com', attributes: [{ name: 'FirstName', value: 'כהן 12' }] },
        { path: web },
      );
      const found = await client.get('/admin/?q=hebrew%40example.com');
      expect(found.body).to.include('<bdi>כהן 12</bdi>');
    });

    it('a title and a search box echo a typed override: shown in the title, kept in the box', async () => {
      const typed = '\u202eann';
      const page = await client.get(`/admin/?q=${encodeURIComponent(typed)}`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('<title>Find people: [U+202E]ann · durable-unsubscribe</title>');
      expect(page.body).to.include(`value="${typed}"`);
    });

    it('the suppressions list shows a reason as code points; its CSV download keeps it as stored', async () => {
      const reason = '\u202ereturned\u200b';
      await services.suppressions.import(
        (async function* () {
          yield { line: 2, email: 'csv-kept@example.com', reason, date: '2026-01-02' };
        })(),
        { actor: 'cli' },
      );
      const list = await client.get('/admin/suppressions');
      expect(list.body).to.include(`${box('U+202E')}returned${box('U+200B')}`);
      const csv = await client.get('/admin/suppressions/export.csv');
      expect(csv.status).to.equal(200);
      expect(csv.body).to.include(`csv-kept@example.com,true,${reason},`);
    });
  });
}
