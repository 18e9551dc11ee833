import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromiumOrSkip } from '../support/chromium.js';
import { testEngines } from '../support/database.js';
import { launchBrowser } from './browser-support.js';
import { ALICE, AdminClient, consolePerTest } from './support.js';
import type { Services } from '../../src/domain/services.js';

/**
 * Another site (`localhost`, another site than the console's `127.0.0.1`) posting the console's
 * forms in a real browser where an operator is logged in: a form as browsers post it, one
 * posted as text/plain shaped like a urlencoded body, a no-cors fetch, and Log out. None
 * changes anything or ends the operator's login. Log out did: its answer deleted the session
 * cookie (sent nowhere by a cross-site POST), and the browser applied it.
 */
const attacks = (console: string): Record<string, string> => ({
  '/form': `<form id=f method=post action="${console}/admin/address/status"><input name=email value="form@example.com"><input name=unsubscribed value=true><input name=reason value=csrf></form><script>f.submit()</script>`,
  '/plain': `<form id=f method=post enctype="text/plain" action="${console}/admin/address/status"><input name="email" value="plain@example.com&unsubscribed=true&reason=csrf&x="></form><script>f.submit()</script>`,
  '/fetch': `<script>fetch("${console}/admin/address/status",{method:"POST",mode:"no-cors",credentials:"include",headers:{"content-type":"application/x-www-form-urlencoded"},body:"email=fetch@example.com&unsubscribed=true&reason=csrf"}).finally(()=>document.title="sent")</script>`,
  '/logout': `<form id=f method=post action="${console}/admin/logout"></form><script>f.submit()</script>`,
});

for (const engine of testEngines()) {
  describe(`console in a browser: forms posted by another site (${engine.name})`, function () {
    this.timeout(180000);
    let client: AdminClient;
    let services: Services;

    consolePerTest(engine, (c) => ({ client, services } = c));

    it('change nothing and leave the operator logged in', async function () {
      chromiumOrSkip(this);
      const pages = attacks(client.base);
      const site = http.createServer((req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.end(pages[req.url ?? ''] ?? '');
      });
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      const other = `http://localhost:${(site.address() as AddressInfo).port}`;
      const browser = await launchBrowser();
      try {
        const page = browser.context.pages()[0] ?? (await browser.context.newPage());
        await page.goto(`${client.base}/admin/login`);
        await page.getByLabel('Operator name').fill(ALICE.name);
        await page.getByLabel('Password').fill(ALICE.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL(`${client.base}/admin/`);
        for (const path of Object.keys(pages)) {
          const attacker = await browser.context.newPage();
          const answered = attacker.waitForResponse((r) => r.url().startsWith(client.base));
          await attacker.goto(`${other}${path}`);
          await answered;
          await attacker.waitForLoadState('load');
          await attacker.close();
          await page.goto(`${client.base}/admin/`);
          expect(page.url(), `logged in after ${path}`).to.equal(`${client.base}/admin/`);
        }
        for (const email of ['form@example.com', 'plain@example.com', 'fetch@example.com'])
          expect((await services.durableStatus.explain(email)).status, email).to.equal(null);
      } finally {
        await browser.close();
        site.close();
      }
    });
  });
}
