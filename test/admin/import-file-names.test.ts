import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { MAX_IMPORT_FILE_NAME } from '../../src/domain/suppression-import-job.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, importThroughPage, type AdminClient } from './support.js';

const CSV = 'email\nnamed@example.com\n';

/**
 * The imports list named an import by its number only: which file it read was nowhere, so an
 * operator could not tell whether a list had been imported already. The uploaded file's name
 * is kept with the import (bounded, its folders dropped) and shown, escaped, in the list and on
 * the import's page.
 */
for (const engine of testEngines()) {
  describe(`operator console: the name of an imported file (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('shows the name, escaped, in the imports list and on the import page', async () => {
      // Markup a page would run if it echoed the name unescaped (a file name holds no "/").
      const name = `<img src=x onerror=alert(1)>'& été.csv`;
      const { id, location } = await importThroughPage(client, services, CSV, name);
      expect((await services.suppressionImports.status(id)).job.fileName).to.equal(name);
      const escaped = '&lt;img src=x onerror=alert(1)&gt;&#39;&amp; été.csv';
      const list = await client.get('/admin/suppressions');
      expect(list.body).to.include(escaped);
      expect(list.body).to.not.include('<img src=x');
      const page = await client.get(location);
      expect(page.body).to.include(escaped);
      expect(page.body).to.not.include('<img src=x');
    });

    it('keeps a bounded name without its folders, and a name-less upload as such', async () => {
      const long = `${'n'.repeat(MAX_IMPORT_FILE_NAME + 100)}.csv`;
      const first = await importThroughPage(client, services, CSV, `C:\\Users\\ann\\${long}`);
      const kept = (await services.suppressionImports.status(first.id)).job.fileName!;
      expect([...kept]).to.have.length(MAX_IMPORT_FILE_NAME);
      expect(kept.startsWith('nnn')).to.equal(true);
      expect(kept.endsWith('…')).to.equal(true);
      const second = await importThroughPage(client, services, CSV, 'folder/list two.csv');
      expect((await services.suppressionImports.status(second.id)).job.fileName).to.equal(
        'list two.csv',
      );
      // An import started elsewhere (or before names were kept) has none: the page says so.
      const { id } = await services.suppressionImports
        .start((async function* () {})(), 'alice', () => 1)
        .then((n) => ({ id: n }));
      await services.suppressionImports.settled(id);
      expect((await services.suppressionImports.status(id)).job.fileName).to.equal(null);
      const page = await client.get(`/admin/suppressions/imports/${id}`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('not recorded');
    });
  });
}
