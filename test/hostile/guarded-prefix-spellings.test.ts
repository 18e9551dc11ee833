import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  everything,
  expectAck,
  listenerPerSuite,
  PATH_SECRET,
  send,
  type RunningListener,
} from '../salesforce/support.js';
import { optOutMessage } from './support.js';

/**
 * The console (`/admin`) and the Salesforce listener are the paths the documentation has a
 * proxy in front guard (an IP allow-list, Salesforce's client certificate), and proxies match
 * a path prefix as it is spelt (nginx's `location /admin/`, HAProxy's `path_beg`). Express
 * routed them in any case, so `/ADMIN/` or `/SOAP/salesforce/outbound/<secret>` passed such a
 * proxy by its catch-all location and reached them all the same.
 */
for (const engine of testEngines()) {
  describe(`the guarded prefixes in another spelling (${engine.name})`, function () {
    this.timeout(60000);
    let listener: RunningListener;
    listenerPerSuite(engine, (l) => {
      listener = l;
    });

    it('answers the Salesforce listener spelt in another case 404, storing nothing', async () => {
      const before = await everything(listener.db);
      for (const prefix of [
        '/SOAP/salesforce/outbound',
        '/soap/Salesforce/outbound',
        '/soap/salesforce/OUTBOUND',
      ]) {
        const n = listener.fresh();
        const answer = await send(
          `${listener.service.base}${prefix}/${PATH_SECRET}`,
          optOutMessage(n, `spelt-${n}@example.com`),
        );
        expect(answer.status, `${prefix}: ${answer.body}`).to.equal(404);
        expect(answer.body).to.equal('Not found\n');
      }
      expect(await everything(listener.db)).to.deep.equal(before);
      const n = listener.fresh();
      expectAck(await send(listener.url, optOutMessage(n, `as-spelt-${n}@example.com`)));
    });

    it('answers the console spelt in another case 404, before any session or form', async () => {
      const base = listener.service.base;
      for (const [method, path] of [
        ['GET', '/ADMIN/login'],
        ['GET', '/Admin/'],
        ['GET', '/aDmIn'],
        ['POST', '/ADMIN/login'],
      ] as const) {
        const res = await fetch(`${base}${path}`, {
          method,
          redirect: 'manual',
          ...(method === 'POST'
            ? {
                body: 'name=ops&password=x',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              }
            : {}),
        });
        expect(res.status, `${method} ${path}`).to.equal(404);
        expect(res.headers.get('set-cookie'), path).to.equal(null);
        expect(await res.text()).to.equal('Not found\n');
      }
      // Below the prefix, paths are still routed in any case (docs/admin.md).
      const login = await fetch(`${base}/admin/LOGIN`, { redirect: 'manual' });
      expect(login.status).to.equal(200);
      const other = await fetch(`${base}/admin/Suppressions/`, { redirect: 'manual' });
      expect(other.status).to.equal(303);
    });
  });
}
