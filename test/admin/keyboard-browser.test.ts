import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { chromiumOrSkip } from '../support/chromium.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  expectAccessible,
  expectNoSidewaysScroll,
  launchBrowser,
  shoot,
} from './browser-support.js';
import { ALICE } from './support.js';

const web = ChangePaths.webService();
const EMAIL = 'cat.long.address.for.a.narrow.screen@example.com';

interface Focused {
  id: string;
  tag: string;
  text: string;
  inMain: boolean;
  outline: string;
  onScreen: boolean;
  description: string;
}

/** What has the keyboard's focus: which element, its focus ring, whether it is on screen. */
function focused(page: Page): Promise<Focused> {
  // A string: the tests are compiled without the DOM's types.
  return page.evaluate(`(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    const b = e.getBoundingClientRect();
    const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    return {
      id: e.id,
      tag: e.tagName.toLowerCase(),
      text: (e.textContent || '').trim(),
      inMain: e.closest('main') !== null,
      outline: s.outlineStyle + ' ' + s.outlineWidth,
      onScreen: b.width > 0 && b.left >= 0 && b.right <= innerWidth && b.top >= 0 && b.bottom <= innerHeight,
      description: ids.map((i) => document.getElementById(i).textContent.trim()).join(' | '),
    };
  })()`) as Promise<Focused>;
}

/** Tab until `wanted` has the focus (at most 40 presses), each stop showing a focus ring. */
async function tabTo(page: Page, wanted: (f: Focused) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    expect(f.outline, `${what}: ring on ${f.tag}#${f.id} "${f.text}"`).to.equal('solid 3px');
    if (wanted(f)) return;
  }
  expect.fail(`${what}: never reached by Tab`);
}

/**
 * The console on a 320 px screen driven by the keyboard alone, as an operator with a screen
 * reader would: the skip link, a person's vendor record opened, a change with its confirmation
 * (a complaint's lift ticked with the space bar), and a refused form that opens on the field to
 * correct, its error the field's description. A browser test: in the slow tier.
 */
for (const engine of testEngines()) {
  describe(`operator console by keyboard at 320 px (${engine.name})`, function () {
    this.timeout(180000);
    let svc: TestService;
    let services: Services;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    let cat: number;

    before(async function () {
      chromiumOrSkip(this);
      svc = await startTestService(engine, { adminUsers: [ALICE] });
      services = svc.running.services;
      const complaint = [
        { name: 'FirstName', value: 'Cat' },
        { name: 'Unsubscribed', value: 'true' },
        { name: 'UnsubscribedReason', value: 'complaint' },
      ];
      cat = (await services.leads.sync({ email: EMAIL, attributes: complaint }, { path: web }))
        .leadId;
      await services.leads.sync(
        { email: EMAIL },
        { path: web, partition: 'East', matchByEmail: false },
      );
      browser = await launchBrowser({ width: 320, height: 640 });
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await page.goto(`${svc.base}/admin/login`);
      // The operator name has the focus on arrival.
      expect((await focused(page)).id).to.equal('name');
      await page.keyboard.type(ALICE.name);
      await page.keyboard.press('Tab');
      await page.keyboard.type(ALICE.password);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${svc.base}/admin/`);
    });
    after(async () => {
      await browser?.close();
      await svc?.stop();
    });

    it('skips to the content, opens the vendor record, changes the box and confirms the lift', async () => {
      await page.goto(`${svc.base}/admin/people/${cat}`);
      await page.keyboard.press('Tab');
      const skip = await focused(page);
      expect([skip.text, skip.onScreen, skip.outline]).to.deep.equal([
        'Skip to content',
        true,
        'solid 3px',
      ]);
      await page.keyboard.press('Enter');
      // The content itself takes the focus (a screen reader reads on from there), not only
      // the next Tab's starting point.
      expect((await focused(page)).tag, 'the skip link focuses the content').to.equal('main');
      await page.keyboard.press('Tab');
      expect((await focused(page)).inMain, 'after the skip link, Tab is in the content').to.equal(
        true,
      );

      // The vendor record of an activity, opened from the keyboard, fits the screen.
      await tabTo(page, (f) => f.tag === 'summary', 'the vendor record');
      await page.keyboard.press('Enter');
      expect(await page.locator('details[open]').count()).to.equal(1);
      await expectNoSidewaysScroll(page, 'person, vendor record open');
      await shoot(page, `keyboard-${engine.name}-person-320`);

      await page.goto(`${svc.base}/admin/people/${cat}`);
      await tabTo(page, (f) => f.id === 'unsubscribed', 'the Unsubscribed box');
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      expect((await focused(page)).id).to.equal('reason');
      await page.keyboard.type('Phoned to opt back in');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${svc.base}/admin/people/${cat}/unsubscribed`);
      await expectNoSidewaysScroll(page, 'confirmation');

      // The confirmation: the box is described by the warning it confirms.
      await tabTo(page, (f) => f.id === 'lift', 'the lift confirmation');
      expect((await focused(page)).description).to.match(/suppressed for a\s+complaint/);
      await page.keyboard.press('Space');
      await tabTo(page, (f) => f.tag === 'button', 'the confirm button');
      expect((await focused(page)).text).to.equal('Confirm: re-subscribe');
      await page.keyboard.press('Enter');
      await page.waitForURL(/saved=resubscribed/);
      const [person] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(cat) });
      expect(person!.unsubscribed).to.equal(false);
      await expectAccessible(page, 'person saved');
    });

    it('a refused form opens on the field to correct, its error said with it', async () => {
      await page.goto(`${svc.base}/admin/address?email=nobody.yet%40example.com`);
      await tabTo(page, (f) => f.id === 'status-reason', 'the reason');
      await page.keyboard.type('   ');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${svc.base}/admin/address/status`);
      expect(await page.title()).to.match(/^Error: Address /);
      const field = await focused(page);
      expect(field.id).to.equal('status-reason');
      expect(field.onScreen).to.equal(true);
      expect(field.description).to.match(/^A reason of 1 to 1000 characters is required/);
      await expectNoSidewaysScroll(page, 'address refused');
      await expectAccessible(page, 'address refused');
      await shoot(page, `keyboard-${engine.name}-address-refused-320`);
    });
  });
}
