import { CHROMIUM_ARGS, chromiumOrSkip } from '../support/chromium.js';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import { historyOf, startLinkService, type LinkService } from './support.js';
import { flagsOf } from '../support/people.js';
import { contrast } from '../support/contrast.js';

const ARTIFACTS = path.resolve('test-artifacts', 'one-click');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core's WCAG 2.1 A/AA rules and best practices over the page as shown: no violation. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  // A string: the test is compiled without the DOM's types.
  const violations = await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} } }).then((r) => r.violations)`,
  );
  expect(
    (violations as AxeViolation[]).map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    what,
  ).to.deep.equal([]);
}

for (const engine of testEngines()) {
  describe(`unsubscribe page in a real browser (${engine.name})`, function () {
    this.timeout(120000);
    let svc: LinkService;
    let browser: Browser;

    before(async function () {
      const executablePath = chromiumOrSkip(this);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      svc = await startLinkService(engine, { unsubscribeSenderName: 'Example News' });
      browser = await chromium.launch({
        executablePath,
        headless: true,
        args: [...CHROMIUM_ARGS],
      });
    });
    after(async () => {
      await browser?.close();
      await svc?.stop();
    });

    for (const viewport of VIEWPORTS) {
      for (const lang of ['en', 'fr'] as const) {
        it(`page → button → confirmation → resubscribe at ${viewport.width}x${viewport.height} (${lang})`, async () => {
          const email = `${viewport.name}-${lang}@example.com`;
          for (const partition of ['Default', 'East'])
            await svc.services.leads.sync(
              { email },
              { path: ChangePaths.webService(), partition, matchByEmail: false },
            );
          // axe is injected as a script, which the page's policy forbids: only the test bypasses it.
          const context = await browser.newContext({
            viewport,
            locale: lang === 'fr' ? 'fr-FR' : 'en-GB',
            bypassCSP: true,
          });
          const page = await context.newPage();
          const shot = (step: string) =>
            page.screenshot({
              path: path.join(ARTIFACTS, `${engine.name}-${viewport.name}-${lang}-${step}.png`),
              fullPage: true,
            });
          try {
            await page.goto(svc.linkUrl(email));
            const words =
              lang === 'fr'
                ? {
                    confirm: 'Se désinscrire de ces e-mails ?',
                    button: 'Me désinscrire',
                    done: 'Vous êtes désinscrit',
                    undo: 'C’était une erreur — me réinscrire',
                    again: 'Vous êtes de nouveau inscrit',
                    titles: ['Se désinscrire ?', 'Désinscription faite', 'De nouveau inscrit'],
                  }
                : {
                    confirm: 'Unsubscribe from these emails?',
                    button: 'Unsubscribe',
                    done: 'You are unsubscribed',
                    undo: 'This was a mistake — resubscribe',
                    again: 'You are subscribed again',
                    titles: ['Unsubscribe?', 'Unsubscribed', 'Subscribed again'],
                  };
            // Each state titled its own way, the sender's name after it.
            const titled = async (n: number) =>
              expect(await page.title()).to.equal(`${words.titles[n]} — Example News`);
            expect(await page.getAttribute('html', 'lang')).to.equal(lang);
            expect(await page.textContent('h1')).to.equal(words.confirm);
            expect(await page.textContent('main'))
              .to.contain('Example News')
              .and.not.to.contain(email);
            await titled(0);
            await expectAccessible(page, 'confirm page');
            await shot('1-confirm');
            expect(await flagsOf(svc.services, email)).to.deep.equal([false, false]);

            await page.getByRole('button', { name: words.button }).click();
            await page.waitForSelector(`h1:text-is("${words.done}")`);
            expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
            await titled(1);
            await expectAccessible(page, 'confirmation page');
            await shot('2-unsubscribed');

            await page.getByRole('button', { name: words.undo }).click();
            await page.waitForSelector(`h1:text-is("${words.again}")`);
            expect(await flagsOf(svc.services, email)).to.deep.equal([false, false]);
            await titled(2);
            await expectAccessible(page, 'resubscribed page');
            await shot('3-resubscribed');
            expect((await historyOf(svc.services, email)).map((h) => h.unsubscribed)).to.deep.equal(
              [true, false],
            );
          } finally {
            await context.close();
          }
        });
      }
    }

    it('works from the keyboard alone on a phone: Tab, Enter; the button shows its focus', async () => {
      const email = 'keyboard@example.com';
      await svc.services.leads.sync({ email }, { path: ChangePaths.webService() });
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await context.newPage();
      const focused = () =>
        page.evaluate(`(() => {
          const e = document.activeElement;
          const s = getComputedStyle(e);
          const page = getComputedStyle(e.closest('main')).backgroundColor;
          return { text: e.textContent.trim(), outline: s.outlineStyle + ' ' + s.outlineWidth,
            ring: s.outlineColor, page };
        })()`) as Promise<{ text: string; outline: string; ring: string; page: string }>;
      try {
        await page.goto(svc.linkUrl(email));
        await page.keyboard.press('Tab');
        const first = await focused();
        expect(first.text).to.equal('Unsubscribe');
        expect(first.outline).to.equal('solid 3px');
        // The ring stands out from the page around it (WCAG 1.4.11: 3:1); amber on white was 2:1.
        expect(contrast(first.ring, first.page)).to.be.at.least(3);
        await page.keyboard.press('Enter');
        await page.waitForSelector('h1:text-is("You are unsubscribed")');
        expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
        await page.keyboard.press('Tab');
        expect((await focused()).text).to.equal('This was a mistake — resubscribe');
        await page.keyboard.press('Enter');
        await page.waitForSelector('h1:text-is("You are subscribed again")');
        expect(await flagsOf(svc.services, email)).to.deep.equal([false]);
      } finally {
        await context.close();
      }
    });

    it('works with JavaScript turned off, and its refusal pages pass the same check', async () => {
      const email = 'nojs@example.com';
      const context = await browser.newContext({
        viewport: VIEWPORTS[1],
        javaScriptEnabled: false,
      });
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
      });
      try {
        await page.goto(svc.linkUrl(email));
        // Styled under its own policy (this context enforces it): before, the policy's hash
        // was not the stylesheet's as the page held it, and the page showed unstyled.
        expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).to.equal(
          'rgb(244, 245, 247)',
        );
        expect(refused).to.deep.equal([]);
        await page.getByRole('button', { name: 'Unsubscribe' }).click();
        await page.waitForSelector('h1:text-is("You are unsubscribed")');
        expect((await svc.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(
          true,
        );
      } finally {
        await context.close();
      }
      const checked = await browser.newContext({ viewport: VIEWPORTS[0], bypassCSP: true });
      const refusal = await checked.newPage();
      try {
        const response = await refusal.goto(`${svc.base}/u/1.k1.${'A'.repeat(60)}`);
        expect(response?.status()).to.equal(403);
        await expectAccessible(refusal, 'refusal page');
        await refusal.screenshot({
          path: path.join(ARTIFACTS, `${engine.name}-desktop-en-invalid.png`),
          fullPage: true,
        });
      } finally {
        await checked.close();
      }
    });
  });
}
