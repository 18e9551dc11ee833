import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { AdminClient, consolePerTest } from './support.js';

/** A search's page is titled by what was searched, so that tabs and history tell them apart. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: search page titles (${engine.name})`, function () {
    this.timeout(60000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    it('names the search in the title; the empty form keeps its own', async () => {
      const form = await client.get('/admin/');
      expect(form.body).to.include('<title>Find people · durable-unsubscribe</title>');
      const found = await client.get('/admin/?q=ann%40example.com');
      expect(found.body).to.include(
        '<title>Find people: ann@example.com · durable-unsubscribe</title>',
      );
    });
  });
}
