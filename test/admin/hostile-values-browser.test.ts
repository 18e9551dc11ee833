/**
 * Values holding bidi controls, zero-width characters or piles of combining marks, shown in
 * Chromium: the text around them renders in its own order, and what is unseen shows as its
 * code point.
 */
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

const web = ChangePaths.webService();

/**
 * The visible characters of the first element matching a selector, in the order they are read
 * in the DOM (logical) and in the order they are drawn (visual: line by line, left to right).
 */
const READING_ORDERS = `(selector) => {
  const root = document.querySelector(selector);
  if (!root) return null;
  const chars = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data;
    for (let i = 0; i < text.length; i++) {
      if (/\\s/.test(text[i])) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      if (box.width === 0) continue;
      chars.push({ c: text[i], x: box.left, top: box.top, bottom: box.bottom });
    }
  }
  const byLine = [...chars].sort((a, b) => a.top + a.bottom - b.top - b.bottom);
  const lines = [];
  for (const ch of byLine) {
    const line = lines[lines.length - 1];
    if (line && (ch.top + ch.bottom) / 2 < line.bottom) {
      line.chars.push(ch);
      line.bottom = Math.max(line.bottom, ch.bottom);
    } else lines.push({ bottom: ch.bottom, chars: [ch] });
  }
  return {
    logical: chars.map((ch) => ch.c).join(''),
    visual: lines.map((l) => l.chars.sort((a, b) => a.x - b.x).map((ch) => ch.c).join('')).join(''),
  };
}`;

async function readingOrders(
  page: Page,
  selector: string,
): Promise<{ logical: string; visual: string }> {
  const orders = (await page.evaluate(`(${READING_ORDERS})(${JSON.stringify(selector)})`)) as {
    logical: string;
    visual: string;
  } | null;
  expect(orders, selector).to.not.equal(null);
  return orders!;
}

for (const engine of testEngines()) {
  describe(`hostile values in the console, in a real browser (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;

    before(async function () {
      chromiumOrSkip(this);
      svc = await startTestService(engine, { adminUsers: [ALICE] });
      services = svc.running.services;
      browser = await launchBrowser({ width: 1280, height: 800 });
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await page.goto(`${svc.base}/admin/login`);
      await page.getByLabel('Operator name').fill(ALICE.name);
      await page.getByLabel('Password').fill(ALICE.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/admin\/$/);
    });
    after(async () => {
      await browser?.close();
      await svc?.stop();
    });

    /** A person at `email` with a first name and an opt-out reason. */
    async function person(email: string, firstName: string, reason: string): Promise<void> {
      await services.leads.sync(
        {
          email,
          attributes: [
            { name: 'FirstName', value: firstName },
            { name: 'Unsubscribed', value: 'true' },
            { name: 'UnsubscribedReason', value: reason },
          ],
        },
        { path: web },
      );
    }

    it('a right-to-left override in a reason reorders nothing after it, and shows as U+202E', async () => {
      await person('plain@example.com', 'Ann', 'asked by phone');
      await person('override@example.com', 'Ann', '\u202easked by phone');
      await page.goto(`${svc.base}/admin/address?email=plain%40example.com`);
      const plain = await readingOrders(page, '#status-heading + p');
      expect(plain.logical).to.include('Reason:askedbyphone.Source:');
      expect(plain.visual).to.equal(plain.logical);
      await page.goto(`${svc.base}/admin/address?email=override%40example.com`);
      // Drawn in the order it is read: the override reverses neither the reason nor the source.
      const hostile = await readingOrders(page, '#status-heading + p');
      expect(hostile.visual).to.equal(hostile.logical);
      expect(hostile.logical).to.include('Reason:U+202Easkedbyphone.Source:');
      expect(await page.locator('#status-heading + p').innerText()).to.include(
        'Reason: U+202Easked by phone. Source:',
      );
      await expectAccessible(page, 'address with an override');
      await shoot(page, `hostile-${engine.name}-override`);
    });

    it('a name holding an override or zero-width characters leaves its row and the title in order', async () => {
      await person('row@example.com', 'Ann\u202eevil\u200bx', 'asked');
      await page.goto(`${svc.base}/admin/?q=row%40example.com`);
      const row = await readingOrders(page, 'tbody tr');
      expect(row.visual).to.equal(row.logical);
      expect(await page.locator('td[data-label="Name"]').innerText()).to.equal(
        'Ann U+202E evil U+200B x'.replace(/ /g, ''),
      );
      await page.goto(`${svc.base}/admin/?q=${encodeURIComponent('\u202eann')}`);
      expect(await page.title()).to.equal('Find people: [U+202E]ann · durable-unsubscribe');
      await expectAccessible(page, 'search with an override');
      await shoot(page, `hostile-${engine.name}-row`);
    });

    it('a name of many unseen characters and marks wraps on a phone screen, never wider than it', async () => {
      await person(
        'phone@example.com',
        `${'\u202e\u200b'.repeat(20)}Z${'\u0301'.repeat(60)}`,
        '\u2066'.repeat(30),
      );
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const path of [
          '/admin/?q=phone%40example.com',
          '/admin/address?email=phone%40example.com',
        ]) {
          await page.goto(`${svc.base}${path}`);
          await expectNoSidewaysScroll(page, path);
          // A stacked cell is a grid of label and value: every box of the value sits in the
          // value's column, none in the label's.
          const lefts = (await page.evaluate(
            `[...document.querySelectorAll('td .unseen')].map((e) => e.getBoundingClientRect().left)`,
          )) as number[];
          const column = (await page.evaluate(
            `Math.min(...[...document.querySelectorAll('td')].filter((td) => td.querySelector('.unseen')).map((td) => td.getBoundingClientRect().left + td.getBoundingClientRect().width * 0.3))`,
          )) as number;
          expect(lefts.length, path).to.be.greaterThan(0);
          expect(Math.min(...lefts), `${path}: boxes in the label column`).to.be.at.least(column);
          await expectAccessible(page, path);
        }
        await shoot(page, `hostile-${engine.name}-phone`);
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    it('a long unbroken reason wraps in a wide window too', async () => {
      await person('long@example.com', 'Long', `x${'y'.repeat(400)}`);
      // Fewer than 51: no .long; the boxes break between them.
      await person('boxes@example.com', 'Boxes', '\u2066'.repeat(40));
      for (const path of [
        '/admin/address?email=long%40example.com',
        '/admin/address?email=boxes%40example.com',
        '/admin/suppressions',
      ]) {
        await page.goto(`${svc.base}${path}`);
        await expectNoSidewaysScroll(page, path);
      }
      await shoot(page, `hostile-${engine.name}-long`);
    });
  });
}
