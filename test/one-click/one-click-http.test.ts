import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import { LinkTokens } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import {
  get,
  historyOf,
  KEY_1,
  KEY_2,
  MAX_AGE_DAYS,
  oneClick,
  oneClickMultipart,
  postForm,
  startLinkService,
  type Answer,
  type LinkService,
} from './support.js';
import { flagsOf } from '../support/people.js';

const web = ChangePaths.webService();

function expectTinyOneClickAnswer(a: Answer): void {
  expect(a.status).to.equal(200);
  expect(a.body).to.equal('Unsubscribed.\n');
  expect(a.headers.get('location')).to.equal(null);
  expect(a.headers.get('set-cookie')).to.equal(null);
  expect(a.headers.get('cache-control')).to.equal('no-store');
}

for (const engine of testEngines()) {
  describe(`one-click unsubscribe over HTTP (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    before(async () => {
      svc = await startLinkService(engine, { unsubscribeLinkOldKeys: [KEY_2] });
    });
    after(async () => {
      await svc?.stop();
    });

    /** Two people of one address in two partitions, and a third person elsewhere. */
    async function people(email: string): Promise<number[]> {
      const ids: number[] = [];
      ids.push((await svc.services.leads.sync({ email }, { path: web })).leadId);
      ids.push(
        (
          await svc.services.leads.sync(
            { email: ` ${email.toUpperCase()}` },
            { path: web, partition: 'East', matchByEmail: false },
          )
        ).leadId,
      );
      await svc.services.leads.sync({ email: `other-${email}` }, { path: web });
      return ids;
    }

    it('RFC 8058 urlencoded POST: 200, tiny body, no redirect, no cookie; every person of the address in every partition', async () => {
      const ids = await people('ann@example.com');
      expectTinyOneClickAnswer(await oneClick(svc.linkUrl('Ann@Example.com')));
      expect(await flagsOf(svc.services, 'ann@example.com')).to.deep.equal([true, true]);
      expect(await flagsOf(svc.services, 'other-ann@example.com')).to.deep.equal([false]);
      const report = await svc.services.durableStatus.explain('ann@example.com');
      expect(report.status).to.include({ unsubscribed: true, reason: 'Unsubscribe link' });
      expect(report.status?.source).to.match(/^Unsubscribe link \(link [0-9a-f]{16}\)$/);
      // The activity log of each person shows the link path.
      for (const id of ids) {
        const page = await svc.services.activities.listForLead({
          keyType: 'IDNUM',
          keyValue: String(id),
        });
        const change = page.activities.find((a) => a.activityType === 'Change Data Value');
        expect(Object.fromEntries(change!.attributes)).to.include({
          'Attribute Name': 'Unsubscribed',
          'Old Value': 'false',
          'New Value': 'true',
          Reason: PROPAGATED_REASON,
          Source: 'Unsubscribe link',
        });
      }
      expect((await svc.services.durableStatus.findViolations()).length).to.equal(0);
    });

    it('RFC 8058 multipart/form-data POST', async () => {
      await people('bea@example.com');
      expectTinyOneClickAnswer(await oneClickMultipart(svc.linkUrl('bea@example.com')));
      expect(await flagsOf(svc.services, 'bea@example.com')).to.deep.equal([true, true]);
    });

    it('RFC 8058 body without a Content-Type, or as text/plain: unsubscribed, not 415', async () => {
      await people('bob@example.com');
      const bare: Record<string, string>[] = [{}, { 'content-type': 'text/plain;charset=UTF-8' }];
      for (const headers of bare) {
        const res = await fetch(svc.linkUrl('bob@example.com'), {
          method: 'POST',
          headers,
          // A Uint8Array: fetch adds no Content-Type of its own.
          body: new TextEncoder().encode('List-Unsubscribe=One-Click'),
          redirect: 'manual',
        });
        expectTinyOneClickAnswer({
          status: res.status,
          body: await res.text(),
          headers: res.headers,
        });
      }
      expect(await flagsOf(svc.services, 'bob@example.com')).to.deep.equal([true, true]);
      expect(await historyOf(svc.services, 'bob@example.com')).to.have.length(1);
    });

    it('an address no person holds yet: a later create is unsubscribed', async () => {
      expectTinyOneClickAnswer(await oneClick(svc.linkUrl('new@example.com', { list: 'news' })));
      const created = await svc.services.leads.sync(
        { email: 'NEW@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: web, partition: 'West' },
      );
      expect(created.status).to.equal('CREATED');
      expect(created.lead.unsubscribed).to.equal(true);
      const page = await svc.services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(created.leadId),
      });
      const reset = page.activities.find((a) => a.activityType === 'Change Data Value');
      expect(Object.fromEntries(reset!.attributes)).to.include({ Reason: RESET_REASON });
      const [status] = await historyOf(svc.services, 'new@example.com');
      expect(status?.reason).to.equal('Unsubscribe link, list news');
    });

    it('a replay is harmless: same answer, one change in the history', async () => {
      await people('cy@example.com');
      const url = svc.linkUrl('cy@example.com');
      for (let i = 0; i < 3; i++) expectTinyOneClickAnswer(await oneClick(url));
      expectTinyOneClickAnswer(await oneClickMultipart(url));
      expect(await historyOf(svc.services, 'cy@example.com')).to.have.length(1);
    });

    it('a wrong body is refused and changes nothing', async () => {
      await people('dee@example.com');
      const url = svc.linkUrl('dee@example.com');
      const refusals: Array<[Promise<Answer>, number]> = [
        [oneClick(url, ''), 400],
        [oneClick(url, 'List-Unsubscribe=Yes'), 400],
        [oneClick(url, 'list-unsubscribe=one-click'), 400],
        [oneClick(url, 'List-Unsubscribe=%ZZ'), 400],
        [oneClickMultipart(url, 'Nope'), 400],
        [
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"List-Unsubscribe":"One-Click"}',
          }).then(async (r) => ({ status: r.status, body: await r.text(), headers: r.headers })),
          415,
        ],
        [
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'multipart/form-data' },
            body: 'List-Unsubscribe=One-Click',
          }).then(async (r) => ({ status: r.status, body: await r.text(), headers: r.headers })),
          400,
        ],
        [oneClick(url, `List-Unsubscribe=One-Click&pad=${'x'.repeat(9000)}`), 413],
      ];
      for (const [pending, status] of refusals) {
        const a = await pending;
        expect(a.status, a.body).to.equal(status);
        expect(a.body).not.to.match(/at .*\.ts|Error:/);
      }
      expect(await flagsOf(svc.services, 'dee@example.com')).to.deep.equal([false, false]);
      expect(await historyOf(svc.services, 'dee@example.com')).to.have.length(0);
    });

    it('GET never changes anything, whatever the sequence of GETs and HEADs', async () => {
      await people('eve@example.com');
      const url = svc.linkUrl('eve@example.com');
      const sequence = [
        () => get(url),
        () =>
          fetch(url, { method: 'HEAD' }).then((r) => ({
            status: r.status,
            body: '',
            headers: r.headers,
          })),
        () => get(`${url}?lang=fr`),
        () => get(url, { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.5' }),
        () => get(`${url}?List-Unsubscribe=One-Click`),
        () => get(url),
      ];
      for (const request of sequence) {
        const a = await request();
        expect(a.status).to.equal(200);
        expect(a.headers.get('set-cookie')).to.equal(null);
        expect(await flagsOf(svc.services, 'eve@example.com')).to.deep.equal([false, false]);
      }
      expect(await historyOf(svc.services, 'eve@example.com')).to.have.length(0);
      const page = await get(url);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(page.headers.get('content-security-policy')).to.contain("default-src 'none'");
      expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(page.body).to.contain('e•••@e•••.com').and.not.to.contain('eve@example.com');
      expect(page.body).to.contain('<form method="post"').and.not.to.contain('<script');
      expect((await get(`${url}?lang=fr`)).body)
        .to.contain('lang="fr"')
        .and.contain('Me désinscrire');
      expect((await get(url, { 'accept-language': 'de, fr;q=0.8, en;q=0.7' })).body).to.contain(
        'lang="fr"',
      );
      expect((await get(url, { 'accept-language': 'fr;q=0.3, en' })).body).to.contain('lang="en"');
    });

    it('refuses altered, forged, unknown-key and expired tokens, changing nothing', async () => {
      await people('fay@example.com');
      const url = svc.linkUrl('fay@example.com');
      const token = url.slice(url.lastIndexOf('/') + 1);
      const at = token.length - 10;
      const altered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      const stranger = new LinkTokens(
        { current: { id: 'k9', secret: KEY_1.secret }, retired: [] },
        0,
      );
      const forger = new LinkTokens(
        { current: { id: 'k1', secret: 'guessed-secret-0123456789abcdefghijk' }, retired: [] },
        0,
      );
      const cases: Array<[string, number, string]> = [
        [altered, 403, 'bad_signature'],
        [forger.create('fay@example.com'), 403, 'bad_signature'],
        [stranger.create('fay@example.com'), 403, 'unknown_key'],
        [
          svc.tokens.create('fay@example.com', {
            issuedAt: Math.floor(Date.now() / 1000) - (MAX_AGE_DAYS + 1) * 86400,
          }),
          410,
          'expired',
        ],
        ['1.k1.%2e%2e', 400, 'malformed'],
        ['not-a-token', 400, 'malformed'],
      ];
      for (const [bad, status] of cases) {
        const a = await oneClick(`${svc.base}/u/${bad}`);
        expect(a.status, bad).to.equal(status);
        const page = await get(`${svc.base}/u/${bad}`, { 'accept-language': 'fr' });
        expect(page.status).to.equal(status);
        expect(page.body).to.match(
          status === 410 ? /Ce lien a expiré/ : /Ce lien n’est pas valide/,
        );
      }
      expect(await flagsOf(svc.services, 'fay@example.com')).to.deep.equal([false, false]);
      expect(await historyOf(svc.services, 'fay@example.com')).to.have.length(0);
      // Metrics are served on their own loopback listener (METRICS_PORT), not the public port.
      const metrics = await (
        await fetch(`http://127.0.0.1:${svc.running.metricsPort}/metrics`)
      ).text();
      for (const [, , reason] of cases)
        expect(metrics).to.match(
          new RegExp(`du_link_refusals_total\\{reason="${reason}"\\} [1-9]`),
        );
      expect(metrics).to.match(/du_link_unsubscribes_total\{outcome="accepted"\} [1-9]/);
    });

    it('key rotation: links of the retired key still work', async () => {
      await people('gus@example.com');
      const old = new LinkTokens({ current: KEY_2, retired: [] }, 0);
      expectTinyOneClickAnswer(await oneClick(`${svc.base}/u/${old.create('gus@example.com')}`));
      expect(await flagsOf(svc.services, 'gus@example.com')).to.deep.equal([true, true]);
    });

    it('the page: button → confirmation → resubscribe, recorded as the person’s own, once', async () => {
      await people('hal@example.com');
      const url = svc.linkUrl('hal@example.com');
      const done = await postForm(url, {
        'List-Unsubscribe': 'One-Click',
        via: 'page',
        lang: 'fr',
      });
      expect(done.status).to.equal(200);
      expect(done.body).to.contain('Vous êtes désinscrit').and.contain('me réinscrire');
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([true, true]);
      const code = /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]!;
      // A wrong proof, or none, changes nothing.
      expect(
        (await postForm(url, { resubscribe: code.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }))
          .status,
      ).to.equal(403);
      expect((await postForm(url, { resubscribe: '' })).status).to.equal(403);
      expect((await postForm(url, {})).status).to.equal(400);
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([true, true]);
      // Another link of the same address cannot use the proof.
      const other = svc.linkUrl('hal@example.com', { list: 'other' });
      expect((await postForm(other, { resubscribe: code })).status).to.equal(403);
      const undone = await postForm(url, { resubscribe: code, lang: 'en' });
      expect(undone.status).to.equal(200);
      expect(undone.body).to.contain('You are subscribed again');
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([false, false]);
      const history = await historyOf(svc.services, 'hal@example.com');
      expect(history.map((h) => [h.unsubscribed, h.reason])).to.deep.equal([
        [true, 'Unsubscribe link'],
        [false, 'Resubscribed by the person on the unsubscribe page'],
      ]);
      expect(history[1]!.source).to.equal(history[0]!.source);
      // The proof was for that change only: unsubscribing again by one-click cannot be undone with it.
      expectTinyOneClickAnswer(await oneClick(url));
      expect((await postForm(url, { resubscribe: code })).status).to.equal(403);
      expect(await flagsOf(svc.services, 'hal@example.com')).to.deep.equal([true, true]);
    });

    it('a link cannot lift an opt-out it did not make, nor one a provider’s one-click made', async () => {
      const [ivy] = await people('ivy@example.com');
      await svc.services.leads.setUnsubscribed(ivy!, true, web);
      const url = svc.linkUrl('ivy@example.com');
      const page = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(page.status).to.equal(200);
      expect(page.body).to.contain('is unsubscribed').and.not.to.contain('name="resubscribe"');
      expect((await get(url)).body)
        .to.contain('is unsubscribed')
        .and.not.to.contain('<form');
      // A provider's one-click, then the page: no proof is ever shown.
      await people('jo@example.com');
      const jo = svc.linkUrl('jo@example.com');
      expectTinyOneClickAnswer(await oneClick(jo));
      const after = await postForm(jo, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(after.body).not.to.contain('name="resubscribe"');
      const forged = svc.tokens.undoCode('0000000000000000', 0);
      expect((await postForm(jo, { resubscribe: forged })).status).to.equal(403);
      expect(await flagsOf(svc.services, 'ivy@example.com')).to.deep.equal([true, true]);
      expect(await flagsOf(svc.services, 'jo@example.com')).to.deep.equal([true, true]);
    });
  });

  describe(`one-click settings (${engine.name})`, function () {
    this.timeout(60000);

    it('without a link secret: SQLite uses its own from DATA_DIR, PostgreSQL answers 404; the configured sender shows', async () => {
      const off = await startLinkService(engine, { unsubscribeLinkSecret: '' });
      try {
        const a = await oneClick(off.linkUrl('lu@example.com'));
        if (engine.name === 'postgres') {
          expect(a.status).to.equal(404);
          expect(off.running.linksOn).to.equal(false);
        } else {
          // Links of another secret are refused; the install's own secret is in DATA_DIR.
          expect(a.status).to.equal(403);
          expect(off.running.linksOn).to.equal(true);
          const own = new LinkTokens(
            {
              current: {
                id: 'k1',
                secret: fs
                  .readFileSync(path.join(off.config.dataDir, 'unsubscribe-link.secret'), 'utf8')
                  .trim(),
              },
              retired: [],
            },
            0,
          );
          expectTinyOneClickAnswer(await oneClick(`${off.base}/u/${own.create('lu@example.com')}`));
        }
      } finally {
        await off.stop();
      }
      const branded = await startLinkService(engine, {
        unsubscribeSenderName: 'Acme <News>',
        unsubscribeLogoUrl: 'https://cdn.example.com/logo.png',
        unsubscribeUndoMinutes: 0,
      });
      try {
        const url = branded.linkUrl('mo@example.com');
        const page = await get(url);
        expect(page.body).to.contain('Acme &lt;News&gt; will no longer send emails');
        expect(page.body).to.contain(
          '<img src="https://cdn.example.com/logo.png" alt="Acme &lt;News&gt;"',
        );
        expect(page.headers.get('content-security-policy')).to.contain(
          'img-src https://cdn.example.com',
        );
        const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
        expect(done.body)
          .to.contain('You are unsubscribed')
          .and.not.to.contain('name="resubscribe"');
      } finally {
        await branded.stop();
      }
    });
  });
}
