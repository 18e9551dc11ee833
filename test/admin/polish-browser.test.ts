import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { chromiumOrSkip } from '../support/chromium.js';
import { testEngines } from '../support/database.js';
import {
  expectAccessible,
  expectNoSidewaysScroll,
  launchBrowser,
  shoot,
} from './browser-support.js';
import { ALICE, consolePerTest, type AdminClient } from './support.js';

/**
 * The pages the imports' file names, the reason in words and the login page's redirect
 * changed, walked in a real browser at a desktop width and at a phone's 390 px: nothing wider
 * than the window (a long file name included), nothing an accessibility check calls serious.
 * A browser test: in the slow tier (README, "Tests").
 */
for (const engine of testEngines()) {
  describe(`console in a browser: file names, reasons, the login page (${engine.name})`, function () {
    this.timeout(180000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('walks the changed pages at 1200 and 390 px', async function () {
      chromiumOrSkip(this);
      const { leadId } = await services.leads.sync(
        { email: 'quiet@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: ChangePaths.webService() },
      );
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-polish-'));
      const name = `suppressions-${'très-longue-liste-'.repeat(8)}2026.csv`;
      const file = path.join(dir, name);
      fs.writeFileSync(file, 'email\nlisted@example.com\n');
      try {
        for (const width of [1200, 390]) {
          const browser = await launchBrowser({ width, height: 800 });
          try {
            const page = browser.context.pages()[0] ?? (await browser.context.newPage());
            const check = async (what: string) => {
              await expectNoSidewaysScroll(page, what);
              await expectAccessible(page, what);
              await shoot(page, `polish-${what}-${width}`);
            };
            await page.goto(`${client.base}/admin/login`);
            await page.getByLabel('Operator name').fill(ALICE.name);
            await page.getByLabel('Password').fill(ALICE.password);
            await page.getByRole('button', { name: 'Log in' }).click();
            await page.waitForURL(`${client.base}/admin/`);
            // Logged in: the login page leads on to the console.
            await page.goto(`${client.base}/admin/login`);
            expect(new URL(page.url()).pathname).to.equal('/admin/');

            await page.goto(`${client.base}/admin/suppressions`);
            await page.getByLabel('CSV file').setInputFiles(file);
            await page.getByRole('button', { name: 'Import' }).click();
            await page.waitForURL(/\/admin\/suppressions\/imports\/\d+/);
            const id = Number(/imports\/(\d+)/.exec(page.url())![1]);
            await services.suppressionImports.settled(id);
            await page.goto(`${client.base}/admin/suppressions/imports/${id}`);
            expect(await page.locator('dl.fields').innerText()).to.include(name);
            await check('import');
            await page.goto(`${client.base}/admin/suppressions`);
            const list = page.getByRole('table', { name: 'Recent imports' });
            expect(await list.innerText()).to.include(name);
            await check('suppressions');

            await page.goto(`${client.base}/admin/people/${leadId}`);
            expect(await page.locator('#unsubscribe-heading + p + p').innerText()).to.match(
              /No reason recorded\.$/,
            );
            await check('person');

            await page.getByRole('button', { name: 'Log out' }).click();
            await page.waitForURL(`${client.base}/admin/login?out=1`);
            expect(await page.getByLabel('Operator name').count()).to.equal(1);
            await check('logged-out');
          } finally {
            await browser.close();
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
