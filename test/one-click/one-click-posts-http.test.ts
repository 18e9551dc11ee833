import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import { testEngines } from '../support/database.js';
import {
  addressPeople,
  expectTinyOneClickAnswer,
  get,
  historyOf,
  linkServicePerSuite,
  oneClick,
  oneClickMultipart,
  type Answer,
  type LinkService,
} from './support.js';
import { flagsOf } from '../support/people.js';

const web = ChangePaths.webService();

/** The mailbox provider's POST (RFC 8058) in every form it comes in, and GETs that change nothing. */
for (const engine of testEngines()) {
  describe(`one-click unsubscribe over HTTP: POSTs and GETs (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;

    linkServicePerSuite(engine, (made) => (svc = made));
    const people = (email: string) => addressPeople(svc, email);

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

    it('an address whose person was deleted after the link was sent: the opt-out is kept', async () => {
      const email = 'gone@example.com';
      const { leadId } = await svc.services.leads.sync({ email }, { path: web });
      const url = svc.linkUrl(email);
      await svc.services.leads.delete({ keyType: 'IDNUM', keyValue: String(leadId) }, web);
      expectTinyOneClickAnswer(await oneClick(url));
      const [status] = await historyOf(svc.services, email);
      expect(status?.reason).to.equal('Unsubscribe link');
      const again = await svc.services.leads.sync({ email }, { path: web });
      expect(again.status).to.equal('CREATED');
      expect(again.lead.unsubscribed).to.equal(true);
    });

    it('a replay is harmless: same answer, one change in the history', async () => {
      await people('cy@example.com');
      const url = svc.linkUrl('cy@example.com');
      for (let i = 0; i < 3; i++) expectTinyOneClickAnswer(await oneClick(url));
      expectTinyOneClickAnswer(await oneClickMultipart(url));
      expect(await historyOf(svc.services, 'cy@example.com')).to.have.length(1);
    });

    it('a urlencoded body of another charset, as its Content-Type says, other fields beside the pair: unsubscribed', async () => {
      // Before: 400, the other field's %E9 read as UTF-8 (a broken sequence), the opt-out lost.
      const bodies: Array<[string, string]> = [
        [
          'application/x-www-form-urlencoded; charset=ISO-8859-1',
          'from=Zo%EB&List-Unsubscribe=One-Click',
        ],
        [
          'application/x-www-form-urlencoded;charset="windows-1252"',
          'List-Unsubscribe=One-Click&n=%E9%80',
        ],
        ['application/x-www-form-urlencoded; charset=US-ASCII', 'List-Unsubscribe=One-Click&a=b'],
      ];
      for (const [i, [type, body]] of bodies.entries()) {
        const email = `charset-${i}@example.com`;
        await people(email);
        const a = await fetch(svc.linkUrl(email), {
          method: 'POST',
          headers: { 'content-type': type },
          body,
          redirect: 'manual',
        }).then(async (r) => ({ status: r.status, body: await r.text(), headers: r.headers }));
        expectTinyOneClickAnswer(a);
        expect(await flagsOf(svc.services, email), type).to.deep.equal([true, true]);
      }
      // Read as UTF-8 unless it says otherwise: a broken sequence is still refused, nothing stored.
      await people('charset-utf8@example.com');
      const url = svc.linkUrl('charset-utf8@example.com');
      expect((await oneClick(url, 'from=Zo%EB&List-Unsubscribe=One-Click')).status).to.equal(400);
      expect(await flagsOf(svc.services, 'charset-utf8@example.com')).to.deep.equal([false, false]);
    });

    it('a POST with no body at all (some mail clients send the key/value pair nowhere): unsubscribed', async () => {
      for (const [email, send] of [
        ['fay@example.com', (url: string) => oneClick(url, '')],
        [
          'gus@example.com',
          (url: string) =>
            fetch(url, { method: 'POST', redirect: 'manual' }).then(async (r) => ({
              status: r.status,
              body: await r.text(),
              headers: r.headers,
            })),
        ],
      ] as const) {
        await people(email);
        expectTinyOneClickAnswer(await send(svc.linkUrl(email)));
        expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
        expect(await historyOf(svc.services, email)).to.have.length(1);
      }
    });

    it('the one-click pair in another case, or with spaces or a line end around it (either encoding): unsubscribed', async () => {
      // Before: 400, while the provider had told the person they were unsubscribed.
      const multipart = (boundary: string, value: string) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n` +
        `${value}\r\n--${boundary}--\r\n`;
      const bodies: Array<[string, string]> = [
        ['application/x-www-form-urlencoded', 'list-unsubscribe=one-click'],
        ['application/x-www-form-urlencoded', 'LIST-UNSUBSCRIBE=ONE-CLICK'],
        ['application/x-www-form-urlencoded; charset=UTF-8', 'List-Unsubscribe=One-Click%20'],
        ['application/x-www-form-urlencoded', 'List-Unsubscribe=+One-Click+\r\n'],
        ['multipart/form-data; boundary=b0', multipart('b0', 'One-Click\r\n')],
        ['multipart/form-data; boundary=b1', multipart('b1', ' one-click ')],
      ];
      for (const [i, [type, body]] of bodies.entries()) {
        const email = `case${i}@example.com`;
        await people(email);
        const res = await fetch(svc.linkUrl(email), {
          method: 'POST',
          headers: { 'content-type': type },
          body,
          redirect: 'manual',
        });
        const a = { status: res.status, body: await res.text(), headers: res.headers };
        expect(a.status, `${body}: ${a.body}`).to.equal(200);
        expectTinyOneClickAnswer(a);
        expect(await flagsOf(svc.services, email), body).to.deep.equal([true, true]);
      }
    });

    it('a wrong body is refused and changes nothing', async () => {
      await people('dee@example.com');
      const url = svc.linkUrl('dee@example.com');
      const refusals: Array<[Promise<Answer>, number]> = [
        [oneClick(url, '&'), 400],
        [oneClick(url, 'List-Unsubscribe=Yes'), 400],
        [oneClick(url, 'list-unsubscribe=one-clicks'), 400],
        [oneClick(url, 'List-Unsubscribe-X=One-Click'), 400],
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
  });
}
