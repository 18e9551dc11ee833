import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ChangePaths, PROPAGATED_REASON } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE } from './support.js';
import { chromiumOrSkip } from '../support/chromium.js';
import { launchBrowser, shoot } from './browser-support.js';

const web = ChangePaths.webService();

async function flags(services: Services): Promise<boolean[]> {
  const leads = await services.leads.find({ keyType: 'EMAIL', keyValue: 'ann@example.com' });
  return leads.sort((a, b) => a.id - b.id).map((l) => l.unsubscribed);
}

for (const engine of testEngines()) {
  describe(`operator pages in a real browser (${engine.name})`, function () {
    // A browser and the service on a loaded 2-core machine: one test's pages took 18 s of the
    // default 20 s there. The bound of the other browser suites.
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    let ann: number;
    let annEast: number;

    before(async function () {
      chromiumOrSkip(this);
      svc = await startTestService(engine, { adminUsers: [ALICE] });
      services = svc.running.services;
      // The worked example's address: two people in two partitions, unsubscribed through one.
      ann = (
        await services.leads.sync(
          {
            email: 'ann@example.com',
            attributes: [
              { name: 'FirstName', value: 'Ann' },
              { name: 'LastName', value: 'Lee' },
              { name: 'Company', value: 'Example Ltd' },
            ],
          },
          { path: web },
        )
      ).leadId;
      annEast = (
        await services.leads.sync(
          { email: 'ANN@Example.com ', attributes: [{ name: 'FirstName', value: 'Ann' }] },
          { path: web, partition: 'East', matchByEmail: false },
        )
      ).leadId;
      await services.leads.setUnsubscribed(ann, true, web, 'Replied STOP');
      browser = await launchBrowser();
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
    });
    after(async () => {
      await browser?.close();
      await svc?.stop();
    });

    it('refuses every page without login: it shows the login form instead', async () => {
      await page.goto(`${svc.base}/admin/people/${ann}`);
      expect(new URL(page.url()).pathname).to.equal('/admin/login');
      expect(await page.title()).to.equal('Log in · durable-unsubscribe');
      expect(await page.content()).to.not.include('ann@example.com');
      await page.goto(`${svc.base}/admin/address?email=ann%40example.com`);
      expect(new URL(page.url()).pathname).to.equal('/admin/login');
      await shoot(page, `${engine.name}-1-login`);
    });

    it('logs in, searches, clears the box: every person of the address is re-subscribed', async () => {
      await page.goto(`${svc.base}/admin/`);
      await page.getByLabel('Operator name').fill(ALICE.name);
      await page.getByLabel('Password').fill(ALICE.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${svc.base}/admin/`);
      expect(await page.getByText('Signed in as').textContent()).to.include('alice');

      await page.getByLabel('Email, id or foreign id').fill('Ann@EXAMPLE.com');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/\?q=/);
      const rows = page.locator('table tbody tr');
      expect(await rows.count()).to.equal(2);
      expect(await rows.allTextContents()).to.satisfy((texts: string[]) =>
        texts.every((t) => t.includes('Unsubscribed')),
      );
      await shoot(page, `${engine.name}-2-search`);

      await page.getByRole('link', { name: String(annEast), exact: true }).click();
      await page.waitForURL(`${svc.base}/admin/people/${annEast}`);
      const box = page.getByRole('checkbox', { name: 'Unsubscribed' });
      expect(await box.isChecked()).to.equal(true);
      expect(await page.locator('#unsubscribe-heading + p').textContent()).to.include(
        'Replied STOP',
      );
      await shoot(page, `${engine.name}-3-person-before`);

      await box.uncheck();
      await page.getByRole('button', { name: 'Save' }).click();
      // The consequences first: both people of the address, in both partitions.
      await page.waitForURL(`${svc.base}/admin/people/${annEast}/unsubscribed`);
      expect(await page.locator('main > p').first().textContent()).to.match(
        /This re-subscribes\s+2\s+people on ANN@Example.com in\s+2\s+partitions/,
      );
      expect(await page.locator('tbody tr').count()).to.equal(2);
      expect(await flags(services)).to.deep.equal([true, true]);
      await shoot(page, `${engine.name}-3b-person-confirm`);
      await page.getByRole('button', { name: 'Confirm: re-subscribe' }).click();
      await page.waitForURL(`${svc.base}/admin/people/${annEast}?saved=resubscribed`);
      expect(await page.getByRole('status').textContent()).to.include(
        'Saved: re-subscribed, and so is every person with ANN@Example.com, in every partition.',
      );
      expect(await page.getByRole('checkbox', { name: 'Unsubscribed' }).isChecked()).to.equal(
        false,
      );
      const firstActivity = page.locator('#activity tbody tr').first();
      expect(await firstActivity.textContent()).to.include('Person detail');
      await shoot(page, `${engine.name}-4-person-after`);

      await page.locator('dl.fields').getByRole('link', { name: 'ANN@Example.com' }).click();
      await page.waitForURL(/\/admin\/address\?email=/);
      const people = page.locator('section[aria-labelledby="people-heading"] tbody tr');
      expect(await people.count()).to.equal(2);
      for (const text of await people.allTextContents()) expect(text).to.include('Subscribed');
      expect(await page.locator('.box').first().textContent()).to.include('Person detail (alice)');
      const history = page.locator('section[aria-labelledby="history-heading"] tbody tr');
      expect(await history.count()).to.equal(2);
      expect(await history.first().textContent()).to.include('Person detail (alice)');
      await shoot(page, `${engine.name}-5-address`);

      // What the pages said is what the database holds.
      const found = await services.leads.find({ keyType: 'EMAIL', keyValue: 'ann@example.com' });
      expect(found.map((l) => l.unsubscribed)).to.deep.equal([false, false]);
      const report = await services.durableStatus.explain('ann@example.com');
      expect(report.status).to.include({ unsubscribed: false, source: 'Person detail (alice)' });
      const own = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(annEast),
      });
      expect(own.activities[0]?.attributes).to.deep.include.members([
        ['Attribute Name', 'Unsubscribed'],
        ['Old Value', 'true'],
        ['New Value', 'false'],
        ['Reason', 'Person detail'],
        ['Source', 'Person detail'],
      ]);
      const follower = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(ann),
      });
      expect(follower.activities[0]?.attributes).to.deep.include(['Reason', PROPAGATED_REASON]);

      await page.goto(`${svc.base}/admin/people/${ann}`);
      const newest = page.locator('#activity tbody tr').first();
      expect(await newest.textContent()).to.include(
        `Re-subscribed because person ${annEast} re-subscribed (same address)`,
      );
      expect(await newest.textContent()).to.include('alice');
      // The vendor's reason string stays one click away.
      await newest.locator('summary').click();
      expect(await newest.locator('dl').textContent()).to.include(PROPAGATED_REASON);
    });

    it('refuses a POST without the CSRF token, even from a logged-in browser', async () => {
      const before = await flags(services);
      await page.goto(`${svc.base}/admin/people/${ann}`);
      const url = `${svc.base}/admin/people/${ann}/unsubscribed`;
      // Our own form with its token taken out, then used as an operator would.
      const form = page.locator(`form[action="/admin/people/${ann}/unsubscribed"]`);
      await form
        .locator('input[name="_csrf"]')
        .evaluate((input: { remove(): void }) => input.remove());
      expect(await form.locator('input[name="_csrf"]').count()).to.equal(0);
      await form.getByRole('checkbox', { name: 'Unsubscribed' }).check();
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === url && r.request().method() === 'POST'),
        form.getByRole('button', { name: 'Save' }).click(),
      ]);
      expect(response.status()).to.equal(403);
      await page.waitForLoadState();
      const alert = await page.getByRole('alert').textContent();
      expect(alert).to.include('did not carry a valid token');
      expect(alert).to.include('nothing was saved');
      await shoot(page, `${engine.name}-6-csrf-refused`);
      expect(await flags(services)).to.deep.equal(before);
      // Reloading would post the stale form again: the way on is its page, opened afresh.
      await page.getByRole('link', { name: 'Open the form again' }).click();
      await page.waitForURL(`${svc.base}/admin/people/${ann}`);
      expect(await form.locator('input[name="_csrf"]').count()).to.equal(1);
    });

    it('refuses a forged form posted from another site: the session cookie stays home', async () => {
      await page.goto(`${svc.base}/admin/`);
      expect(await page.getByText('Signed in as').count()).to.equal(1);
      const before = await flags(services);
      const target = `${svc.base}/admin/people/${ann}/unsubscribed`;
      const attacker = http.createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.end(
          `<form method="post" action="${target}"><input name="unsubscribed" value="true">` +
            `<input name="_csrf" value="guess"></form><script>document.forms[0].submit()</script>`,
        );
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      try {
        const port = (attacker.address() as AddressInfo).port;
        // localhost and 127.0.0.1 are different sites to the browser.
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST'),
          page.goto(`http://localhost:${port}/`),
        ]);
        expect(response.status()).to.equal(401);
      } finally {
        attacker.closeAllConnections();
        await new Promise((resolve) => attacker.close(resolve));
      }
      expect(await flags(services)).to.deep.equal(before);
    });

    it('runs no script a value or an injected element carries: the CSP blocks inline script', async () => {
      const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
      const victim = (
        await services.leads.sync(
          { email: 'xss@example.com', attributes: [{ name: 'FirstName', value: evil }] },
          { path: web },
        )
      ).leadId;
      await services.leads.setUnsubscribed(victim, true, web, evil);
      const violations: string[] = [];
      page.on('console', (m) => violations.push(m.text()));
      for (const path of [
        `/admin/people/${victim}`,
        '/admin/address?email=xss%40example.com',
        `/admin/?q=${encodeURIComponent(evil)}`,
        `/admin/suppressions?reason=${encodeURIComponent('<script>window.__pwned=3</script>')}`,
      ]) {
        await page.goto(`${svc.base}${path}`);
        expect(await page.evaluate('typeof window.__pwned'), path).to.equal('undefined');
        expect(await page.locator('img[onerror]').count(), path).to.equal(0);
      }
      // Were escaping ever to fail, the policy is the second wall: a script element put into
      // the page does not run.
      // (A string: the page's globals are not this program's types.) The report of the block
      // comes as an event, a moment later: on a loaded machine, not always within 2 s.
      const ran = await page.evaluate(`new Promise((resolve) => {
        document.addEventListener('securitypolicyviolation', () =>
          resolve({ pwned: typeof window.__pwned, blocked: true }), { once: true });
        setTimeout(() => resolve({ pwned: typeof window.__pwned, blocked: false }), 15000);
        const script = document.createElement('script');
        script.textContent = 'window.__pwned = 4';
        document.body.append(script);
      })`);
      expect(ran).to.deep.equal({ pwned: 'undefined', blocked: true });
    });

    it('cannot be framed by another site (clickjacking)', async () => {
      await page.goto(`${svc.base}/admin/`);
      expect(await page.getByText('Signed in as').count()).to.equal(1);
      const attacker = http.createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.end(`<iframe src="${svc.base}/admin/" width="800" height="600"></iframe>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      try {
        const port = (attacker.address() as AddressInfo).port;
        // Cross-site, the Lax cookie stays home: the frame asks for the login form, which must
        // not show inside another site either (a framed password field).
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url().startsWith(`${svc.base}/admin/login`)),
          page.goto(`http://localhost:${port}/`),
        ]);
        expect(response.status()).to.equal(200);
        // What keeps it out of the frame: the answer's own headers, which every console
        // answer carries (frame-headers-http.test.ts asks each kind of answer).
        const headers = response.headers();
        expect(headers['x-frame-options']).to.equal('DENY');
        expect(headers['content-security-policy']).to.include("frame-ancestors 'none'");
        // The attacker's page is loaded once its frame is done (shown or blocked): no fixed wait.
        await page.waitForLoadState('load');
        const framed = page.frames().find((f) => f !== page.mainFrame());
        const shown = framed
          ? await framed
              .evaluate<string>('document.body ? document.body.innerHTML : ""')
              .catch(() => '')
          : '';
        expect(shown).not.to.include('password');
        expect(shown).not.to.include('Signed in as');
      } finally {
        attacker.closeAllConnections();
        await new Promise((resolve) => attacker.close(resolve));
      }
    });

    it('a complaint recorded while the operator types a lift: asks for the tick, keeping the reason typed', async () => {
      const address = 'race@example.com';
      const raced = (await services.leads.sync({ email: address }, { path: web })).leadId;
      await services.leads.setUnsubscribed(raced, true, web, 'Replied STOP');
      await page.goto(`${svc.base}/admin/address?email=${encodeURIComponent(address)}`);
      // A plain opt-out: lifting it needs no tick, so none is shown.
      expect(await page.getByRole('checkbox').count()).to.equal(0);
      await page.getByLabel('Reason (required)').fill('Asked by phone, ticket 4711');
      await services.durableStatus.setAddressStatus({
        address,
        unsubscribed: true,
        path: ChangePaths.addressStatus('bob'),
        reason: 'complaint',
        confirmProtected: false,
      });
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/admin/address/status')),
        page.getByRole('button', { name: 'Lift the suppression' }).click(),
      ]);
      expect(response.status()).to.equal(409);
      await page.waitForLoadState();
      expect(await page.getByRole('alert').textContent()).to.include('suppressed for a complaint');
      await shoot(page, `${engine.name}-7-address-lift-race`);
      expect(await page.getByLabel('Reason (required)').inputValue()).to.equal(
        'Asked by phone, ticket 4711',
      );
      await page.getByRole('checkbox', { name: /I confirm lifting a complaint/ }).check();
      await page.getByRole('button', { name: 'Lift the suppression' }).click();
      await page.waitForURL(/saved=resubscribed/);
      const [lead] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(raced) });
      expect(lead!.unsubscribed).to.equal(false);
      const status = (await services.durableStatus.explain(address)).status;
      expect(status?.reason).to.equal('Asked by phone, ticket 4711');
    });

    it('a reason of spaces only on the address form: refused on the address page, not a bare error page', async () => {
      const address = 'race@example.com';
      await page.goto(`${svc.base}/admin/address?email=${encodeURIComponent(address)}`);
      const before = (await services.durableStatus.explain(address)).status;
      await page.getByLabel('Reason (required)').fill('   ');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/admin/address/status')),
        page.getByRole('button', { name: 'Suppress the address' }).click(),
      ]);
      expect(response.status()).to.equal(400);
      await page.waitForLoadState();
      expect(await page.getByRole('alert').textContent()).to.include('reason');
      expect(await page.getByRole('button', { name: 'Suppress the address' }).count()).to.equal(1);
      expect((await services.durableStatus.explain(address)).status).to.deep.equal(before);
    });

    it('a session that ends mid-form: says nothing was saved, and logging in returns to the form', async () => {
      const before = await flags(services);
      const personPath = `/admin/people/${annEast}`;
      await page.goto(`${svc.base}${personPath}`);
      await page.getByRole('checkbox', { name: 'Unsubscribed' }).setChecked(!before[1]);
      await page.getByLabel('Reason for this change').fill('Asked by phone');
      // The session ends while the operator is typing (expired, or logged out elsewhere).
      await browser.context.clearCookies();
      const url = `${svc.base}${personPath}/unsubscribed`;
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === url && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Save' }).click(),
      ]);
      expect(response.status()).to.equal(401);
      await page.waitForLoadState();
      expect(await page.getByRole('alert').textContent()).to.include('nothing was saved');
      await shoot(page, `${engine.name}-7-session-ended`);
      await page.getByRole('link', { name: 'Log in' }).click();
      await page.getByLabel('Operator name').fill(ALICE.name);
      await page.getByLabel('Password').fill(ALICE.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${svc.base}${personPath}`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.include(
        `Person ${annEast}`,
      );
      expect(await flags(services)).to.deep.equal(before);
    });

    it('logs out, after which the pages are refused again, the back button included', async () => {
      await page.goto(`${svc.base}/admin/people/${ann}`);
      expect(await page.content()).to.include('ann@example.com');
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${svc.base}/admin/login?out=1`);
      expect(await page.getByRole('status').textContent()).to.equal('You have logged out.');
      // Back to the person page: asked again (no-store), not shown from a cache.
      await page.goBack();
      expect(new URL(page.url()).pathname).to.equal('/admin/login');
      expect(await page.content()).to.not.include('ann@example.com');
      await page.goto(`${svc.base}/admin/people/${ann}`);
      expect(new URL(page.url()).pathname).to.equal('/admin/login');
    });
  });
}
