import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { optOutWithReason } from '../support/harness.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  ALICE,
  AdminClient,
  EVIL,
  consolePerTest,
  importThroughPage as importThrough,
  upload,
} from './support.js';

const web = ChangePaths.webService();

/** The suppressions listed and exported, and CSV files imported from the page. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: suppressions and their imports (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    const importThroughPage = (csv: string | Uint8Array) => importThrough(client, services, csv);

    it('lists, filters, pages and exports the suppressions', async () => {
      await services.suppressions.import(
        (async function* () {
          for (let i = 0; i < 60; i++)
            yield {
              line: i + 2,
              email: `s${i}@example.com`,
              reason: i % 2 ? 'bounce' : EVIL,
              date: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`,
            };
        })(),
        { actor: 'cli' },
      );
      const all = await client.get('/admin/suppressions');
      expect(all.body).to.include('<strong>60</strong> addresses match');
      expect(all.body).to.not.include('<script>alert(1)');
      expect(all.body).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
      const bounces = await client.get(
        '/admin/suppressions?reason=BOUNCE&from=2026-01-10&to=2026-01-19',
      );
      expect(bounces.body).to.include('<strong>10</strong> addresses match');
      expect((await client.get('/admin/suppressions?from=yesterday')).status).to.equal(400);
      // Positions and ids out of any column's range are refused plainly, never a database error.
      for (const path of [
        '/admin/suppressions/imports/99999999999',
        '/admin/bulk/jobs/2147483648',
        '/admin/address?email=a%40example.com&people_after=99999999999',
        '/admin/address?email=a%40example.com&history_before=-1',
        '/admin/suppressions?after_at=99999999999999999999&after_key=x',
      ])
        expect((await client.get(path)).status, path).to.equal(400);
      const next = /href="([^"]+after_key=[^"]+)">Next page/.exec(all.body)?.[1];
      const second = await client.get(next!.replace(/&amp;/g, '&'));
      expect((second.body.match(/data-label="Address"/g) ?? []).length).to.equal(10);
      const csv = await client.get('/admin/suppressions/export.csv?reason=bounce');
      expect(csv.status).to.equal(200);
      const lines = csv.body.trim().split('\n');
      expect(lines[0]).to.equal('email,unsubscribed,reason,source,date');
      expect(lines).to.have.length(31);
      expect(lines[1]).to.match(
        /^s\d+@example.com,true,bounce,Suppression import \(cli\),2026-01-/,
      );
    });

    it("finds an address by part of it spelled in its domain's compatibility forms, as its key is", async () => {
      await services.suppressions.import(
        (async function* () {
          yield { line: 2, email: 'ann@idna-search.example', reason: 'bounce' };
          yield { line: 3, email: 'bob@other-search.example', reason: 'bounce' };
        })(),
        { actor: 'cli' },
      );
      // Mathematical and circled e, an ideographic full stop; then a full-width '@', circled s.
      const part = '@idna-s\u{1d41e}arch\u3002\u24d4xample';
      const page = await client.get(`/admin/suppressions?address=${encodeURIComponent(part)}`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('<strong>1</strong> address matches');
      expect(page.body).to.include('ann@idna-search.example');
      const csv = await client.get(
        `/admin/suppressions/export.csv?address=${encodeURIComponent('\uff20IDNA-\u24e2earch')}`,
      );
      expect(csv.body.trim().split('\n').slice(1)).to.have.length(1);
      expect(csv.body).to.include('ann@idna-search.example,true,bounce');
    });

    it('its CSV downloads neutralise formulas behind blanks and full-width signs; the export uploaded again changes nothing', async () => {
      const { id } = await importThroughPage(
        'email\nblank@console-csv.example\nwide@console-csv.example\n"\uff1dHYPERLINK(""http://x"")"\n',
      );
      // The bad address comes back in the rejects download, neutralised too.
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      // Before: the cell was written as it was, a formula for a spreadsheet.
      expect(rejects.body).to.contain(`,"'\uff1dHYPERLINK(""http://x"")",`);
      // Reasons as another path stores them (an import trims its own cells).
      const knex = svc.running.database.knex;
      await knex('email_status')
        .where({ email_key: 'blank@console-csv.example' })
        .update({ reason: ' =HYPERLINK("http://x")', source: '\u3000@cmd' });
      await knex('email_status')
        .where({ email_key: 'wide@console-csv.example' })
        .update({ reason: '\uff0bSUM(1)', source: "'\uff20x" });
      const before = await knex('email_status').select('*').orderBy('email_key');
      const csv = await client.get('/admin/suppressions/export.csv?address=console-csv');
      expect(csv.status).to.equal(200);
      expect(csv.body).to.contain(
        `blank@console-csv.example,true,"' =HYPERLINK(""http://x"")","'\u3000@cmd",`,
      );
      expect(csv.body).to.contain(`wide@console-csv.example,true,"'\uff0bSUM(1)","''\uff20x",`);
      const again = await importThroughPage(csv.body);
      const status = await services.suppressionImports.status(again.id);
      expect(status.job.state).to.equal('done');
      expect(await knex('email_status').select('*').orderBy('email_key')).to.deep.equal(before);
    });

    it('its CSV export quotes a cell holding a semicolon or a tab: a spreadsheet splitting on them finds no formula', async () => {
      // A reason a SOAP client sent. Excel where the list separator is a semicolon (Germany,
      // France, ...) opens a .csv split on semicolons, and LibreOffice offers semicolons and
      // tabs as separators: unquoted, the cell between the two semicolons was a formula.
      const reason = "x;=cmd|' /C calc'!A0;y\t-1+1";
      await optOutWithReason(services, 'split@console-csv.example', reason);
      const csv = await client.get('/admin/suppressions/export.csv?address=console-csv');
      expect(csv.status).to.equal(200);
      expect(csv.body).to.contain(`split@console-csv.example,true,"x;=cmd|' /C calc'!A0;y\t-1+1",`);
      // Read back as it was.
      const knex = svc.running.database.knex;
      const before = await knex('email_status').select('*').orderBy('email_key');
      const again = await importThroughPage(csv.body);
      expect((await services.suppressionImports.status(again.id)).job.state).to.equal('done');
      expect(await knex('email_status').select('*').orderBy('email_key')).to.deep.equal(before);
    });

    it('an uploaded Excel CSV: rejects name the line a row starts on; an invisible character is refused', async () => {
      // Line 2's reason spans lines 2-3 (CRLF inside the quotes): the bad rows start on 4 and 5.
      const csv = [
        'email,reason',
        'excel-ok@example.com,"asked\r\nby phone"',
        'not-an-address,x',
        'zero\u200bwidth@example.com,y',
        '',
      ].join('\r\n');
      const { id } = await importThroughPage(csv);
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      const rows = rejects.body.trim().split('\n').slice(1);
      expect(
        rows.map((r) => r.split(',')[0]),
        rejects.body,
      ).to.deep.equal(['4', '5']);
      expect((await services.durableStatus.explain('zerowidth@example.com')).status).to.equal(null);
    });

    it('an uploaded Windows-1252 line is rejected, asking for UTF-8, its reason never stored as U+FFFD', async () => {
      // Before: the reason "\xfcber" was stored as "\ufffdber" and the import showed no reject.
      const csv = Buffer.concat([
        Buffer.from('email,reason\r\ncp1252@example.com,'),
        Buffer.from([0xfc]),
        Buffer.from('ber\r\nutf8@example.com,über\r\n'),
      ]);
      const { id } = await importThroughPage(csv);
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      expect(rejects.body).to.equal(
        'line,email,why\n2,cp1252@example.com,the reason is not UTF-8 text (save the file as UTF-8)\n',
      );
      expect((await services.durableStatus.explain('cp1252@example.com')).status).to.equal(null);
      expect((await services.durableStatus.explain('utf8@example.com')).status?.reason).to.equal(
        'über',
      );
    });

    it('an uploaded line holding NUL or a huge address is rejected, kept short in its rejects, and the import finishes', async () => {
      const huge = `${'h'.repeat(100000)}@example.com`;
      const csv = `email,reason\nnul\u0000byte@example.com,x\n${huge},y\nafter-nul@example.com,z\n`;
      const { id } = await importThroughPage(csv);
      const { job } = await services.suppressionImports.status(id);
      expect(job.state, JSON.stringify(job)).to.equal('done');
      expect(
        (await services.durableStatus.explain('after-nul@example.com')).status?.unsubscribed,
      ).to.equal(true);
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      const rows = rejects.body.trim().split('\n').slice(1);
      expect(rows.map((r) => r.split(',')[0])).to.deep.equal(['2', '3']);
      expect(rejects.body.length, 'a rejected line is named, not copied whole').to.be.below(2000);
    });

    it('an uploaded line longer than any row stops the import there, and the job says which line', async () => {
      const csv = `email,reason\nbefore-long@example.com,x\n${'l'.repeat(1_100_000)}\nafter-long@example.com,y\n`;
      const { id } = await importThroughPage(csv);
      const { job } = await services.suppressionImports.status(id);
      expect(job.state).to.equal('failed');
      expect(job.message).to.match(/^Line 3 is longer than 1,048,576 characters/);
      expect(
        (await services.durableStatus.explain('before-long@example.com')).status?.unsubscribed,
      ).to.equal(true);
      expect((await services.durableStatus.explain('after-long@example.com')).status).to.equal(
        null,
      );
    });

    it('IMPORT_MAX_ROW_CHARS: a line longer than set stops the upload there; the default reads past it', async () => {
      const csv = `email,reason\nbefore-row@example.com,x\n${'r'.repeat(5000)}\nafter-row@example.com,y\n`;
      // The default (1,048,576) rejects the line alone and imports the rest.
      const usual = await importThroughPage(csv);
      expect((await services.suppressionImports.status(usual.id)).job.state).to.equal('done');
      const tight = await startTestService(engine, {
        adminUsers: [ALICE],
        importMaxRowChars: 4096,
      });
      try {
        const operator = new AdminClient(tight.base);
        await operator.logIn();
        const tightServices = tight.running.services;
        const { id } = await importThrough(operator, tightServices, csv);
        const { job } = await tightServices.suppressionImports.status(id);
        expect(job.state).to.equal('failed');
        expect(job.message).to.match(/^Line 3 is longer than 4,096 characters/);
        expect(
          (await tightServices.durableStatus.explain('after-row@example.com')).status,
        ).to.equal(null);
      } finally {
        await tight.stop();
      }
    });

    it('imports a CSV from the page with progress and downloadable rejects', async () => {
      await services.leads.sync({ email: 'held@example.com' }, { path: web });
      const quoted = `"${EVIL.replace(/"/g, '""')}@x"`;
      const csv = `email,reason\nheld@example.com,complaint\nnot-an-address,x\n${quoted},y\nfree@example.com,\n`;
      const { id, location } = await importThroughPage(csv);
      const page = await client.get(location);
      expect(page.body, page.body.slice(page.body.indexOf('<main'))).to.include('Finished.');
      expect(page.body, page.body.slice(page.body.indexOf('<dl'))).to.match(
        /Addresses suppressed<\/dt>\s*<dd>2<\/dd>/,
      );
      expect(page.body).to.match(/People unsubscribed<\/dt>\s*<dd>1<\/dd>/);
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      expect(rejects.body.split('\n')[0]).to.equal('line,email,why');
      expect(rejects.body).to.include('not-an-address');
      expect(rejects.body).to.include('not one address as written (<)');
      expect(rejects.body.trim().split('\n')).to.have.length(3);
      const [held] = await services.leads.find({ keyType: 'EMAIL', keyValue: 'held@example.com' });
      expect(held!.unsubscribed).to.equal(true);
      // An import rejects an address holding '<' or '>' that nobody holds (not one address as
      // written): the command line stores this one, for the list to show.
      await services.durableStatus.setAddressStatus({
        address: `${EVIL}@x`,
        unsubscribed: true,
        path: ChangePaths.commandLine('alice'),
        reason: 'y',
        confirmProtected: true,
      });
      const list = await client.get('/admin/suppressions');
      expect(list.body).to.include(`href="/admin/suppressions/imports/${id}"`);
      // The address the validation let through is shown as text, never as markup.
      expect(list.body).to.not.include('<script>alert(1)');
      expect(list.body).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;@x');
      // A file that is not CSV stops with a clear message, and what came before it stays.
      const broken = await upload(client, 'email\nfirst@example.com\n"unclosed,x\n', client.csrf);
      const brokenId = Number(/imports\/(\d+)$/.exec(broken.location!)![1]);
      await services.suppressionImports.settled(brokenId);
      const stopped = await client.get(broken.location!);
      expect(stopped.body).to.include('The CSV could not be read');
    });

    it('refuses a file larger than ADMIN_UPLOAD_MAX_MB, importing nothing', async () => {
      const small = await startTestService(engine, { adminUsers: [ALICE], adminUploadMaxMb: 1 });
      try {
        const operator = new AdminClient(small.base);
        await operator.logIn();
        const big =
          'email\n' + 'x'.repeat(60) + '@example.com\n'.repeat(1) + 'a@example.com\n'.repeat(90000);
        const reply = await upload(operator, big, operator.csrf);
        expect(reply.status).to.equal(413);
        expect(reply.body).to.include('ADMIN_UPLOAD_MAX_MB');
        expect(await small.running.services.suppressionImports.recent()).to.deep.equal([]);
      } finally {
        await small.stop();
      }
    });
  });
}
