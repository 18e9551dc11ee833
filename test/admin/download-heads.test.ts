import { expect } from 'chai';
import sinon from 'sinon';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { AdminClient, consolePerTest, uploadSettled } from './support.js';

/**
 * A HEAD of a download (a link checker, a browser's prefetch, a monitor) asks for its headers
 * alone: it read the whole list from the database for node to throw away, and the export's
 * HEAD logged "operator exported suppressions" for an export nobody received.
 */
for (const engine of testEngines()) {
  describe(`operator console: a HEAD of a download (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));
    afterEach(() => sinon.restore());

    const ask = (method: string, path: string) =>
      fetch(`${svc.base}${path}`, {
        method,
        headers: { Cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        redirect: 'manual',
      });

    it('answers the headers of the export and of an import’s rejects without reading a row', async () => {
      const { id } = await uploadSettled(
        client,
        services,
        'email\nhead@example.com\nnot-an-address\n',
      );
      const exported = sinon.spy(services.suppressions, 'exportFiltered');
      const rejects = sinon.spy(services.suppressionImports, 'rejects');
      const downloads: Array<[string, string]> = [
        ['/admin/suppressions/export.csv?status=unsubscribed', 'suppressions.csv'],
        [`/admin/suppressions/imports/${id}/rejects.csv`, `import-${id}-rejects.csv`],
      ];
      for (const [path, file] of downloads) {
        const head = await ask('HEAD', path);
        expect(head.status, path).to.equal(200);
        expect(head.headers.get('content-type'), path).to.equal('text/csv; charset=utf-8');
        expect(head.headers.get('content-disposition'), path).to.equal(
          `attachment; filename="${file}"`,
        );
        expect(head.headers.get('cache-control'), path).to.equal('no-store');
      }
      expect(exported.callCount, 'exports read for HEADs').to.equal(0);
      expect(rejects.callCount, 'rejects read for HEADs').to.equal(0);
      // A HEAD of an import that does not exist is refused as its GET is.
      expect((await ask('HEAD', '/admin/suppressions/imports/999999/rejects.csv')).status).to.equal(
        404,
      );
      // The GETs still download every row.
      const csv = await (await ask('GET', downloads[0]![0])).text();
      expect(csv).to.contain('head@example.com');
      const rejected = await (await ask('GET', downloads[1]![0])).text();
      expect(rejected).to.contain('not-an-address');
      expect(exported.callCount).to.equal(1);
      expect(rejects.callCount).to.equal(1);
    });
  });
}
