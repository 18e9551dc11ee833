import { expect } from 'chai';
import { chromiumOrSkip } from '../support/chromium.js';
import { testEngines } from '../support/database.js';
import {
  expectAccessible,
  expectNoSidewaysScroll,
  launchBrowser,
  shoot,
} from './browser-support.js';
import { ALICE, AdminClient, consolePerTest } from './support.js';

/**
 * The Your sessions page in a real browser, at a desktop width and at a phone's 390 px: a
 * browser's long name breaks inside its cell, nothing an accessibility check calls serious,
 * and its End button ends that browser's session. A browser test: in the slow tier.
 */
for (const engine of testEngines()) {
  describe(`console in a browser: your sessions (${engine.name})`, function () {
    this.timeout(180000);
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ client } = c));

    it('lists the sessions and ends one at 1200 and 390 px', async function () {
      chromiumOrSkip(this);
      for (const width of [1200, 390]) {
        const other = new AdminClient(client.base, {
          'User-Agent': `LongBrowser-${width}/${'x'.repeat(150)}`,
        });
        expect((await other.logIn()).status).to.equal(303);
        const browser = await launchBrowser({ width, height: 800 });
        try {
          const page = browser.context.pages()[0] ?? (await browser.context.newPage());
          await page.goto(`${client.base}/admin/login`);
          await page.getByLabel('Operator name').fill(ALICE.name);
          await page.getByLabel('Password').fill(ALICE.password);
          await page.getByRole('button', { name: 'Log in' }).click();
          await page.waitForURL(`${client.base}/admin/`);

          await page.getByRole('link', { name: 'Your sessions' }).click();
          await page.waitForURL(`${client.base}/admin/sessions`);
          expect(await page.getByText('This session', { exact: true }).count()).to.equal(1);
          await expectNoSidewaysScroll(page, `sessions ${width}`);
          await expectAccessible(page, `sessions ${width}`);
          await shoot(page, `sessions-${width}`);

          const row = page.getByRole('row').filter({ hasText: `LongBrowser-${width}/` });
          await row.getByRole('button', { name: 'End this session' }).click();
          await page.getByText('Session ended.').waitFor();
          expect(await page.getByText(`LongBrowser-${width}/`).count()).to.equal(0);
          await expectAccessible(page, `session ended ${width}`);
          expect((await other.get('/admin/')).status).to.equal(303);
        } finally {
          await browser.close();
        }
      }
    });
  });
}
