import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { ALICE, AdminClient, consolePerTest, upload, uploadSettled } from './support.js';

const web = ChangePaths.webService();
const EVIL = `<script>alert(1)</script>"'&`;

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const engine of testEngines()) {
  describe(`operator console over HTTP (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    /** Uploads `csv` through the page and waits for its import to end; the job's id and page. */
    const importThroughPage = async (csv: string) => {
      const { id, location } = await uploadSettled(client, services, csv);
      await until(
        async () => (await services.suppressionImports.status(id)).job.state !== 'running',
        'the import',
      );
      return { id, location };
    };

    it('sends every new page to the login form without a session and refuses every new POST', async () => {
      const stranger = new AdminClient(svc.base);
      for (const path of [
        '/admin/suppressions',
        '/admin/suppressions/export.csv',
        '/admin/suppressions/imports/1',
        '/admin/suppressions/imports/1/rejects.csv',
        '/admin/bulk',
        '/admin/bulk/jobs/1',
      ]) {
        const reply = await stranger.get(path);
        expect(reply.status, path).to.equal(303);
        expect(reply.location, path).to.match(/^\/admin\/login\?next=/);
      }
      for (const path of ['/admin/address/status', '/admin/bulk/preview', '/admin/bulk/start']) {
        const reply = await stranger.post(path, {
          _csrf: client.csrf,
          email: 'x@example.com',
          unsubscribed: 'true',
          reason: 'r',
          list: 'x@example.com',
          field: 'Unsubscribed',
          value: 'true',
        });
        expect(reply.status, path).to.equal(401);
      }
      expect((await upload(stranger, 'email\nx@example.com\n', client.csrf)).status).to.equal(401);
      expect(await services.durableStatus.explain('x@example.com')).to.include({ status: null });
    });

    it('refuses every new form without its CSRF token (and with another session’s), changing nothing', async () => {
      const other = new AdminClient(svc.base);
      await other.logIn();
      const forms: Array<[string, Record<string, string>]> = [
        ['/admin/address/status', { email: 'x@example.com', unsubscribed: 'true', reason: 'r' }],
        ['/admin/bulk/preview', { list: 'x@example.com', field: 'Unsubscribed', value: 'true' }],
        ['/admin/bulk/start', { list: 'x@example.com', field: 'Unsubscribed', value: 'true' }],
      ];
      for (const [path, form] of forms) {
        for (const token of [null, other.csrf, '']) {
          const reply = await client.post(path, token === null ? form : { ...form, _csrf: token });
          expect(reply.status, path).to.equal(403);
          expect(reply.body).to.include('did not carry a valid token');
        }
      }
      for (const token of [null, other.csrf, '']) {
        const reply = await upload(client, 'email\nx@example.com\n', token);
        expect(reply.status).to.equal(403);
      }
      // A multipart body does not carry a token to any other form either.
      const form = new FormData();
      form.append('_csrf', client.csrf);
      form.append('email', 'x@example.com');
      form.append('unsubscribed', 'true');
      form.append('reason', 'r');
      const sneaky = await fetch(`${svc.base}/admin/address/status`, {
        method: 'POST',
        body: form,
        headers: { Cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        redirect: 'manual',
      });
      expect(sneaky.status).to.equal(403);
      expect(await services.durableStatus.explain('x@example.com')).to.include({ status: null });
      expect(await services.bulkChanges.recent()).to.deep.equal([]);
      expect(await services.suppressionImports.recent()).to.deep.equal([]);
    });

    it('suppresses an address nobody holds, and lifts a complaint only when confirmed', async () => {
      const suppress = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'Nobody@Example.com',
        unsubscribed: 'true',
        reason: 'complaint',
      });
      expect(suppress.status).to.equal(303);
      expect(suppress.location).to.equal(
        '/admin/address?email=Nobody%40Example.com&saved=unsubscribed',
      );
      const status = (await services.durableStatus.explain('nobody@example.com')).status;
      expect(status).to.include({
        unsubscribed: true,
        reason: 'complaint',
        source: 'Address status (alice)',
      });
      // A reason is required.
      const blank = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'nobody@example.com',
        unsubscribed: 'false',
        reason: ' ',
      });
      expect(blank.status).to.equal(400);
      // Lifting a complaint without the confirmation changes nothing and asks for it.
      const unconfirmed = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'nobody@example.com',
        unsubscribed: 'false',
        reason: 'asked again',
      });
      expect(unconfirmed.status).to.equal(409);
      expect(unconfirmed.body).to.include('I confirm lifting a complaint suppression');
      expect(
        (await services.durableStatus.explain('nobody@example.com')).status?.unsubscribed,
      ).to.equal(true);
      // A person created now takes the suppression (rule 3), and follows its lifting.
      const person = await services.leads.sync({ email: 'nobody@example.com' }, { path: web });
      expect(person.lead.unsubscribed).to.equal(true);
      const confirmed = await client.post('/admin/address/status', {
        _csrf: client.csrf,
        email: 'nobody@example.com',
        unsubscribed: 'false',
        reason: 'asked again',
        liftProtected: 'yes',
      });
      expect(confirmed.status).to.equal(303);
      const [after] = await services.leads.find({
        keyType: 'EMAIL',
        keyValue: 'nobody@example.com',
      });
      expect(after!.unsubscribed).to.equal(false);
      const log = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(person.leadId),
      });
      expect(log.activities[0]).to.include({ actor: 'alice', causeLeadId: null });
      const page = await client.get(`/admin/people/${person.leadId}`);
      expect(page.body).to.include('Re-subscribed because its address was lifted (Address status)');
      expect(page.body).to.include('Re-derived from the address on creation');
      expect(page.body).to.match(/\d\d:\d\d:\d\d\.\d{3} UTC/);
    });

    it('pages an address held by many people instead of sending them all', async () => {
      const inputs = Array.from({ length: 130 }, (_, i) => ({
        email: 'many@example.com',
        foreignSysPersonId: `M${i}`,
      }));
      await services.leads.syncMany(inputs, { path: web, matchByEmail: false });
      const first = await client.get('/admin/address?email=many%40example.com');
      expect(first.body).to.match(/People with this address \(130 in 1\s+partition\)/);
      const rows = (body: string) => (body.match(/data-label="Email as stored"/g) ?? []).length;
      expect(rows(first.body)).to.equal(50);
      const more = /href="([^"]+people_after=\d+[^"]*)">More people/.exec(first.body)?.[1];
      expect(more).to.be.a('string');
      const second = await client.get(more!.replace(/&amp;/g, '&'));
      expect(rows(second.body)).to.equal(50);
      const third = await client.get(
        /href="([^"]+people_after=\d+[^"]*)">More people/
          .exec(second.body)![1]!
          .replace(/&amp;/g, '&'),
      );
      expect(rows(third.body)).to.equal(30);
      expect(third.body).to.not.include('>More people');
      const [someone] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: 'M7' });
      const person = await client.get(`/admin/people/${someone!.id}`);
      expect(person.body).to.match(/Others with this address \(129 in 1\s+partition\)/);
      expect((person.body.match(/data-label="Email as stored"/g) ?? []).length).to.equal(20);
      expect(person.body).to.include('All 129 on the address page');
      const search = await client.get('/admin/?q=MANY%40example.com');
      expect(search.body).to.include('130 people match');
      expect(search.body).to.include('the first 50 are shown');
      expect((search.body.match(/data-label="Partition"/g) ?? []).length).to.equal(50);
      // The page grows with the page size, not with the people on the address.
      expect(first.body.length).to.be.below(second.body.length * 1.2);
    });

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

    it('imports a CSV from the page with progress and downloadable rejects', async () => {
      await services.leads.sync({ email: 'held@example.com' }, { path: web });
      const quoted = `"${EVIL.replace(/"/g, '""')}@x"`;
      const csv = `email,reason\nheld@example.com,complaint\nnot-an-address,x\n${quoted},y\nfree@example.com,\n`;
      const { id, location } = await importThroughPage(csv);
      const page = await client.get(location);
      expect(page.body, page.body.slice(page.body.indexOf('<main'))).to.include('Finished.');
      expect(page.body, page.body.slice(page.body.indexOf('<dl'))).to.match(
        /Addresses suppressed<\/dt>\s*<dd>3<\/dd>/,
      );
      expect(page.body).to.match(/People unsubscribed<\/dt>\s*<dd>1<\/dd>/);
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      expect(rejects.body.split('\n')[0]).to.equal('line,email,why');
      expect(rejects.body).to.include('not-an-address');
      expect(rejects.body.trim().split('\n')).to.have.length(2);
      const [held] = await services.leads.find({ keyType: 'EMAIL', keyValue: 'held@example.com' });
      expect(held!.unsubscribed).to.equal(true);
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

    it('previews, confirms and runs a Change Data Value, echoing what was typed escaped', async () => {
      const a = await services.leads.sync({ email: 'p1@example.com' }, { path: web });
      const b = await services.leads.sync({ email: 'p2@example.com' }, { path: web });
      await services.leads.sync(
        { email: 'p2@example.com' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      const form = {
        _csrf: client.csrf,
        list: `${a.leadId}\np2@example.com`,
        field: 'Unsubscribed',
        value: 'true',
        reason: EVIL,
      };
      const evil = await client.post('/admin/bulk/preview', { ...form, list: `${EVIL}` });
      expect(evil.status).to.equal(400);
      expect(evil.body).to.not.include('<script>alert(1)');
      const preview = await client.post('/admin/bulk/preview', form);
      expect(preview.status).to.equal(200);
      expect(preview.body).to.match(/People selected<\/dt>\s*<dd>3 in 2 partition/);
      expect(preview.body).to.not.include('<script>alert(1)');
      expect(preview.body).to.include(
        'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"',
      );
      expect(
        (await services.leads.find({ keyType: 'IDNUM', keyValue: String(a.leadId) }))[0]!
          .unsubscribed,
      ).to.equal(false);
      const started = await client.post('/admin/bulk/start', form);
      expect(started.status).to.equal(303);
      const jobId = Number(/jobs\/(\d+)$/.exec(started.location!)![1]);
      await until(
        async () => (await services.bulkChanges.status(jobId)).job.state === 'done',
        'the job',
      );
      const page = await client.get(started.location!);
      expect(page.body).to.include('Finished: 3 of 3 people.');
      expect(page.body).to.match(/Changed<\/dt>\s*<dd>3<\/dd>/);
      const [pa] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(a.leadId) });
      expect(pa!.unsubscribed).to.equal(true);
      const log = await client.get(`/admin/people/${b.leadId}`);
      expect(log.body).to.include('Unsubscribed (Change Data Value flow step)');
      expect(log.body).to.match(/data-label="By"[^>]*>\s*alice/);
      // Re-subscribing people whose address has a complaint needs the explicit tick.
      await services.durableStatus.setAddressStatus({
        address: 'p1@example.com',
        unsubscribed: false,
        path: ChangePaths.addressStatus('alice'),
        reason: 'reset for the test',
        confirmProtected: false,
        now: Date.now(),
      });
      await services.durableStatus.setAddressStatus({
        address: 'p1@example.com',
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'Complaint',
        confirmProtected: false,
        now: Date.now(),
      });
      const lift = { ...form, value: 'false', reason: '' };
      const liftPreview = await client.post('/admin/bulk/preview', lift);
      expect(liftPreview.body).to.include('1 of these addresses were suppressed for a');
      expect(liftPreview.body).to.include('I confirm lifting complaint suppressions');
      const refused = await client.post('/admin/bulk/start', lift);
      expect(refused.status).to.equal(400);
      expect(refused.body).to.include('confirm that explicitly');
      expect((await services.bulkChanges.recent()).length).to.equal(1);
      const lifted = await client.post('/admin/bulk/start', { ...lift, liftProtected: 'yes' });
      expect(lifted.status).to.equal(303);
      // A search that narrows nothing is refused: no change to everyone by accident.
      const everyone = await client.post('/admin/bulk/preview', { ...form, list: '' });
      expect(everyone.status).to.equal(400);
    });
  });
}
