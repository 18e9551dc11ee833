import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { consolePerTest, type AdminClient } from './support.js';

/** The navigation's links a page marks as the one it is (aria-current="page"). */
const currentOf = (body: string): string[] =>
  [...body.matchAll(/<a href="([^"]*)"\s+aria-current="page"/g)].map((m) => m[1]!);

/**
 * Each of the navigation's pages says, to a screen reader and to the eye, that it is the one
 * shown: the four links looked alike on every page, so nothing said where the operator was.
 * Pages under them (a person, a job, a preview) mark none rather than claim to be one.
 */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: the navigation marks the page shown (${engine.name})`, function () {
    this.timeout(60000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    it('marks the page shown, and only it', async () => {
      for (const [url, link] of [
        ['/admin/suppressions', '/admin/suppressions'],
        ['/admin/', '/admin/'],
        ['/admin/?q=nobody%40example.com', '/admin/'],
        ['/admin/address?email=nobody%40example.com', '/admin/address'],
        ['/admin/bulk', '/admin/bulk'],
      ]) {
        const page = await client.get(url!);
        expect(page.status, url).to.equal(200);
        expect(currentOf(page.body), url).to.deep.equal([link]);
      }
      const missing = await client.get('/admin/people/999999');
      expect(currentOf(missing.body)).to.deep.equal([]);
    });
  });
}
