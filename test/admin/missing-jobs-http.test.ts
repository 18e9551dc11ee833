import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { AdminClient, consolePerTest } from './support.js';

/** A job or import page whose id names nothing: not found, and the way back to the list. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: a job that does not exist (${engine.name})`, function () {
    this.timeout(120000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    for (const [path, what, back] of [
      ['/admin/bulk/jobs/99999', 'No Change Data Value job 99999', '/admin/bulk'],
      ['/admin/suppressions/imports/99999', 'No import 99999', '/admin/suppressions'],
      ['/admin/suppressions/imports/99999/rejects.csv', 'No import 99999', '/admin/suppressions'],
    ] as const)
      it(`${path}: 404 Not found, saying so and where to go instead`, async () => {
        const page = await client.get(path);
        expect(page.status).to.equal(404);
        expect(page.body).to.include('<h1>Not found</h1>');
        expect(page.body).to.include(what);
        expect(page.body).to.include(`href="${back}"`);
      });
  });
}
