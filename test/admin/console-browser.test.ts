import { chromiumOrSkip } from '../support/chromium.js';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  expectAccessible,
  expectNoSidewaysScroll,
  launchBrowser,
  shoot,
} from './browser-support.js';
import { ALICE } from './support.js';
import { contrast } from '../support/contrast.js';

const web = ChangePaths.webService();

/** WCAG contrast ratio of a computed colour against white. */
const contrastOnWhite = (rgb: string): number => contrast(rgb, '#fff');
const VIEWPORTS = [
  { name: 'w1280', width: 1280, height: 800 },
  { name: 'w390', width: 390, height: 844 },
];

for (const engine of testEngines()) {
  for (const viewport of VIEWPORTS) {
    describe(`operator console in a real browser (${engine.name}, ${viewport.width}×${viewport.height})`, function () {
      this.timeout(120000);
      let svc: TestService;
      let services: Services;
      let browser: Awaited<ReturnType<typeof launchBrowser>>;
      let page: Page;
      let cat: number;
      const tag = `${engine.name}-${viewport.name}`;

      /** Every page of the console gets the same checks: axe, no sideways scroll, a screenshot. */
      async function check(name: string): Promise<void> {
        await expectAccessible(page, name);
        await expectNoSidewaysScroll(page, name);
        await shoot(page, `console-${tag}-${name}`);
      }

      before(async function () {
        chromiumOrSkip(this);
        svc = await startTestService(engine, { adminUsers: [ALICE] });
        services = svc.running.services;
        cat = (
          await services.leads.sync(
            {
              email: 'cat.long.address.for.a.narrow.screen@example.com',
              attributes: [{ name: 'FirstName', value: 'Cat' }],
            },
            { path: web },
          )
        ).leadId;
        await services.leads.sync(
          { email: 'cat.long.address.for.a.narrow.screen@example.com' },
          { path: web, partition: 'East', matchByEmail: false },
        );
        const inputs = Array.from({ length: 30 }, (_, i) => ({
          email: `bulk${i}@example.com`,
          foreignSysPersonId: `BULK${i}`,
        }));
        await services.leads.syncMany(inputs, {
          path: web,
          partition: 'Bulk',
          matchByEmail: false,
        });
        browser = await launchBrowser({ width: viewport.width, height: viewport.height });
        page = browser.context.pages()[0] ?? (await browser.context.newPage());
      });
      after(async () => {
        await browser?.close();
        await svc?.stop();
      });

      it('logs in and shows the suppressions home: filters, counts, export, import with progress', async () => {
        await page.goto(`${svc.base}/admin/suppressions`);
        await check('0-login');
        await page.getByLabel('Operator name').fill(ALICE.name);
        await page.getByLabel('Password').fill(ALICE.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL(`${svc.base}/admin/suppressions`);

        await page.setInputFiles('#file', {
          name: 'list.csv',
          mimeType: 'text/csv',
          buffer: Buffer.from(
            'email,reason,date\n' +
              'cat.long.address.for.a.narrow.screen@example.com,complaint,2026-03-01\n' +
              'someone.else@example.com,bounce,2026-03-02\n' +
              'not an address,x,\n',
          ),
        });
        await page.getByRole('button', { name: 'Import' }).click();
        await page.waitForURL(/\/admin\/suppressions\/imports\/\d+$/);
        // The page refreshes itself (meta refresh) until the import has finished.
        await page.getByText('Finished.').waitFor({ timeout: 30000 });
        expect(await page.locator('dl.fields').textContent()).to.match(
          /Addresses suppressed\s*2[\s\S]*People unsubscribed\s*2[\s\S]*Rejected lines\s*1/,
        );
        expect(await page.getByRole('link', { name: /rejected lines/ }).count()).to.equal(1);
        await check('1-import');

        await page.goto(`${svc.base}/admin/suppressions`);
        expect(await page.getByRole('status').textContent()).to.match(/2\s+addresses match/);
        await check('2-suppressions');
        await page.getByLabel('Reason contains').fill('COMPLAINT');
        await page.getByRole('button', { name: 'Filter' }).click();
        await page.waitForURL(/reason=COMPLAINT/);
        expect(await page.getByRole('status').textContent()).to.match(/1\s+address matches/);
        expect(await page.locator('table').first().locator('tbody tr').count()).to.equal(1);
        const exportHref = await page
          .getByRole('link', { name: 'Export these as CSV' })
          .getAttribute('href');
        expect(exportHref).to.include('reason=COMPLAINT');
        await check('3-suppressions-filtered');
      });

      it('suppresses an address nobody holds, then lifts its complaint only with the confirmation', async () => {
        const nobody = `nobody-${viewport.name}@example.com`;
        await page.goto(`${svc.base}/admin/address?email=${encodeURIComponent(nobody)}`);
        expect(await page.locator('#people-heading').textContent()).to.match(/\(0 in 0/);
        await page.getByLabel('Reason (required)').fill('complaint');
        await page.getByRole('button', { name: 'Suppress the address' }).click();
        await page.waitForURL(/saved=unsubscribed/);
        expect(await page.getByRole('status').textContent()).to.include(
          'the address is suppressed',
        );
        await check('4-address-suppressed');

        await page.getByLabel('Reason (required)').fill('asked to hear from us again');
        const confirmBox = page.getByRole('checkbox', { name: /I confirm lifting a complaint/ });
        expect(await confirmBox.count()).to.equal(1);
        await confirmBox.check();
        await page.getByRole('button', { name: 'Lift the suppression' }).click();
        await page.waitForURL(/saved=resubscribed/);
        const history = page.locator('section[aria-labelledby="history-heading"] tbody tr');
        expect(await history.count()).to.equal(2);
        expect(await history.first().textContent()).to.include('Address status (alice)');
        expect((await services.durableStatus.explain(nobody)).status?.unsubscribed).to.equal(false);
        await check('5-address-lifted');
      });

      it('shows a person change’s consequences first, applies it on confirmation, and logs it readably', async () => {
        await page.goto(`${svc.base}/admin/people/${cat}`);
        expect(await page.locator('#sharing-heading').textContent()).to.match(/1 in 1\s+partition/);
        await check('6-person');
        // The import suppressed Cat's address with a complaint: lifting it asks for confirmation.
        await page.getByRole('checkbox', { name: 'Unsubscribed' }).uncheck();
        await page.getByLabel('Reason for this change').fill('Phoned to opt back in');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.waitForURL(`${svc.base}/admin/people/${cat}/unsubscribed`);
        expect(await page.locator('main > p').first().textContent()).to.match(
          /This re-subscribes\s+2\s+people on .* in\s+2\s+partitions/,
        );
        expect(await page.locator('tbody tr').count()).to.equal(2);
        await check('7-person-confirm');
        await page.getByRole('checkbox', { name: /I confirm lifting a complaint/ }).check();
        await page.getByRole('button', { name: 'Confirm: re-subscribe' }).click();
        await page.waitForURL(/saved=resubscribed/);
        expect(await page.getByLabel('Reason for this change').inputValue()).to.equal('');
        const newest = page
          .locator('#activity tbody tr')
          .filter({ hasText: 'Re-subscribed (Person detail)' });
        expect(await newest.count()).to.equal(1);
        expect(await newest.textContent()).to.include('alice');
        expect(await newest.textContent()).to.match(/\d\d:\d\d:\d\d\.\d{3} UTC/);
        await newest.locator('summary').click();
        await check('8-person-saved');
        await page.getByLabel('Activity type').selectOption('NewLead');
        await page.getByRole('button', { name: 'Filter' }).click();
        await page.waitForURL(/type=NewLead/);
        expect(await page.locator('#activity tbody tr').count()).to.equal(1);
        expect(await page.locator('#activity tbody tr').textContent()).to.include('Created');
      });

      it('changes a data value on the people a search selects: preview, confirm, progress, result', async () => {
        await page.goto(`${svc.base}/admin/bulk`);
        await check('9-bulk-form');
        await page.getByLabel('Partition').fill('Bulk');
        await page.getByLabel('Field').selectOption('Unsubscribed');
        await page.getByLabel('New value').fill(viewport.name === 'w390' ? 'false' : 'true');
        await page.getByRole('button', { name: 'Preview' }).click();
        await page.waitForURL(`${svc.base}/admin/bulk/preview`);
        expect(await page.locator('dl.fields').textContent()).to.match(
          /People selected\s*30 people in 1 partition\b/,
        );
        await check('10-bulk-preview');
        await page.getByRole('button', { name: 'Apply to 30 people' }).click();
        await page.waitForURL(/\/admin\/bulk\/jobs\/\d+$/);
        await page.getByText(/Finished: 30 of 30 people/).waitFor({ timeout: 30000 });
        await check('11-bulk-done');
        const [one] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: 'BULK7' });
        expect(one!.unsubscribed).to.equal(viewport.name !== 'w390');
        expect(await services.durableStatus.findViolations()).to.deep.equal([]);
      });

      it('draws a focus ring and field borders of at least 3:1 contrast', async () => {
        await page.goto(`${svc.base}/admin/suppressions`);
        await page.getByLabel('Reason contains').focus();
        await page.keyboard.press('Tab');
        const styles = await page.evaluate(() => {
          interface Style {
            outlineColor: string;
            outlineWidth: string;
            outlineStyle: string;
            borderTopColor: string;
          }
          const w = globalThis as unknown as {
            document: { activeElement: unknown; querySelector(s: string): unknown };
            getComputedStyle(e: unknown): Style;
          };
          const focused = w.getComputedStyle(w.document.activeElement);
          const field = w.getComputedStyle(w.document.querySelector('#f-reason'));
          return {
            outline: focused.outlineColor,
            outlineWidth: focused.outlineWidth,
            outlineStyle: focused.outlineStyle,
            border: field.borderTopColor,
          };
        });
        expect(styles.outlineStyle).to.equal('solid');
        expect(parseFloat(styles.outlineWidth)).to.be.at.least(2);
        expect(contrastOnWhite(styles.outline)).to.be.at.least(3);
        expect(contrastOnWhite(styles.border)).to.be.at.least(3);
      });

      it('finds people and shows errors readably too', async () => {
        await page.goto(`${svc.base}/admin/?q=cat.long.address.for.a.narrow.screen%40example.com`);
        expect(await page.locator('tbody tr').count()).to.equal(2);
        await check('12-search');
        await page.goto(`${svc.base}/admin/people/999999`);
        await check('13-not-found');
      });
    });
  }
}
