import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { chromiumOrSkip } from '../support/chromium.js';
import { testEngines } from '../support/database.js';
import { addresslessComplaint, unsubscribedNow } from './addressless-complaint.js';
import { launchBrowser } from './browser-support.js';
import { ALICE, consolePerTest, type AdminClient } from './support.js';

/**
 * The complaint of a person without an address, lifted in a real browser: the tick is on the
 * person page's first confirmation (addressless-complaint-lift.test.ts has the same over HTTP).
 * A browser test: in the slow tier (README, "Tests").
 */
for (const engine of testEngines()) {
  describe(`console in a browser: lifting the complaint of a person without an address (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('in a real browser: the tick is on the first confirmation, and lifts the complaint', async function () {
      chromiumOrSkip(this);
      const id = await addresslessComplaint(services);
      const browser = await launchBrowser();
      try {
        const page = browser.context.pages()[0] ?? (await browser.context.newPage());
        await page.goto(`${client.base}/admin/login`);
        await page.getByLabel('Operator name').fill(ALICE.name);
        await page.getByLabel('Password').fill(ALICE.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL(`${client.base}/admin/`);
        await page.goto(`${client.base}/admin/people/${id}`);
        await page.getByRole('checkbox', { name: 'Unsubscribed' }).uncheck();
        await page.getByLabel('Reason for this change').fill('Phoned to opt back in');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForURL(`${client.base}/admin/people/${id}/unsubscribed`);
        const tick = page.getByRole('checkbox', {
          name: 'I confirm lifting a complaint suppression',
        });
        expect(await tick.count()).to.equal(1);
        await tick.check();
        await page.getByRole('button', { name: 'Confirm: re-subscribe' }).click();
        await page.waitForURL(/saved=resubscribed/);
        expect(await unsubscribedNow(services, id)).to.equal(false);
      } finally {
        await browser.close();
      }
    });
  });
}
