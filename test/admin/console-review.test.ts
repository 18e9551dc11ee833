import net from 'node:net';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { sendEndlessBody } from '../support/endless-body.js';
import { AdminClient, consolePerTest, uploadSettled, postPersonFlag } from './support.js';

/** The value shown for `label` on an import's page. */
function shown(page: string, label: string): string | undefined {
  return new RegExp(`${label}</dt>\\s*<dd>\\s*(\\d+)`).exec(page)?.[1];
}

for (const engine of testEngines()) {
  describe(`operator console as operators and attackers use it (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    async function importOf(csv: string | Uint8Array): Promise<{ id: number; page: string }> {
      const { id, location } = await uploadSettled(client, services, csv);
      return { id, page: (await client.get(location)).body };
    }

    it('a console import that stops on a broken line records what it did before, not zeros', async () => {
      // Big enough that the rows of its first chunks are imported before the parser meets
      // the broken last line.
      const good = Array.from({ length: 6000 }, (_, i) => `stop${i}@example.com`).join('\n');
      const { id, page } = await importOf(`email\n${good}\nnot-an-address\n"unclosed,x\n`);
      expect(page).to.include('The CSV could not be read');
      const stored = (await services.suppressions.list({ unsubscribed: true }, null, 1)).total;
      expect(stored, 'addresses the stopped import suppressed').to.be.above(0);
      const { job, progress } = await services.suppressionImports.status(id);
      expect(job.state).to.equal('failed');
      expect(progress?.counts.suppressed).to.equal(stored);
      expect(progress?.counts.rows).to.be.at.least(stored);
      expect(shown(page, 'Addresses suppressed')).to.equal(String(stored));
      expect(Number(shown(page, 'Lines read'))).to.equal(progress?.counts.rows);
    });

    it('answers a filter or a page position holding a control character 400, on every engine, export included', async () => {
      // PostgreSQL refuses NUL in any text it compares: these were 500 Internal error there
      // (and logged as failures), and the export a download cut off after its 200.
      for (const path of [
        '/admin/suppressions?reason=%00',
        '/admin/suppressions?source=a%00b',
        '/admin/suppressions?address=%01',
        '/admin/suppressions?after_at=1&after_key=%00',
        '/admin/suppressions/export.csv?reason=%00',
        '/admin/suppressions/export.csv?address=x%1b',
      ]) {
        const reply = await client.get(path);
        expect(reply.status, path).to.equal(400);
        expect(reply.body, path).to.include('control character');
      }
      const fine = await client.get('/admin/suppressions?reason=a%09b');
      expect(fine.status, 'a tab is no control character here').to.equal(200);
    });

    it('refuses a reason holding a control character on the address form, storing nothing', async () => {
      // SQLite stored the NUL in the master status (every other path refuses one); PostgreSQL
      // answered 500.
      for (const reason of ['a\u0000b', 'esc\u001b[2J']) {
        const reply = await client.post('/admin/address/status', {
          _csrf: client.csrf,
          email: 'ctl@example.com',
          unsubscribed: 'true',
          reason,
        });
        expect(reply.status, JSON.stringify(reason)).to.equal(400);
        expect(reply.body).to.include('control character');
      }
      expect(await services.durableStatus.explain('ctl@example.com')).to.include({ status: null });
    });

    it('tells the operator why a file without an "email" column stopped, not "internal error"', async () => {
      for (const [csv, says] of [
        ['mail\nx@example.com\n', 'no &quot;email&quot; column'],
        // Semicolons and tabs are read (Excel writes them in some locales); bars are not.
        ['email|reason\nx@example.com|r\n', 'vertical bars'],
        ['x@example.com\ny@example.com\n', 'looks like data'],
      ] as const) {
        const { page } = await importOf(csv);
        expect(page, csv).to.include(says);
        expect(page, csv).not.to.include('internal error');
      }
    });

    it('rejects a line whose address is not UTF-8 instead of suppressing a mangled address', async () => {
      // "lé@example.com" saved as Latin-1: the é became U+FFFD and that address was
      // suppressed and counted, while the real one stayed subscribed.
      const latin1 = Buffer.concat([
        Buffer.from('email\nl'),
        Buffer.from([0xe9]),
        Buffer.from('@example.com\nplain@example.com\n'),
      ]);
      const { id, page } = await importOf(latin1);
      const { progress } = await services.suppressionImports.status(id);
      expect(progress?.counts).to.include({ rows: 2, suppressed: 1, rejected: 1 });
      expect(shown(page, 'Addresses suppressed')).to.equal('1');
      const rejects = await client.get(`/admin/suppressions/imports/${id}/rejects.csv`);
      expect(rejects.body).to.match(/^2,.*UTF-8/m);
      expect((await services.suppressions.list({ unsubscribed: true }, null, 10)).total).to.equal(
        1,
      );
    });

    it('records a complaint ticked on the person page of someone unsubscribed already, so only an operator can lift it', async () => {
      // The page answered "unchanged" without saving: the box was ticked already, so the
      // complaint went nowhere and a SOAP re-subscribe lifted the opt-out afterwards.
      const web = ChangePaths.webService();
      const { leadId } = await services.leads.sync(
        { email: 'plain@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: web },
      );
      const form = { unsubscribed: true, reason: 'complaint' };
      const asked = await postPersonFlag(client, leadId, { ...form, confirm: false });
      expect(asked.status, 'a confirmation first, as for any change it saves').to.equal(200);
      expect(asked.body).to.include('Confirm');
      const saved = await postPersonFlag(client, leadId, form);
      expect(saved.status).to.equal(303);
      expect(saved.location).to.match(/saved=recorded$/);
      expect((await client.get(saved.location!)).body).to.include('now records this reason');
      const { status } = await services.durableStatus.explain('plain@example.com');
      expect(status?.unsubscribed).to.equal(true);
      expect(services.durableStatus.isProtected(status?.reason)).to.equal(true);
      const resubscribe = await services.leads
        .sync({ id: leadId, attributes: [{ name: 'Unsubscribed', value: 'false' }] }, { path: web })
        .then(
          () => 'saved',
          (e: Error) => e.message,
        );
      expect(resubscribe, 'a re-subscribe through the web service').to.not.equal('saved');
      const after = await services.durableStatus.explain('plain@example.com');
      expect(after.status?.unsubscribed).to.equal(true);
      // A box ticked again with no reason (or one already recorded) still saves nothing.
      const again = await postPersonFlag(client, leadId, { unsubscribed: true, confirm: false });
      expect(again.status).to.equal(303);
      expect(again.location).to.match(/saved=unchanged$/);
    });

    it('reads no more than a bound of a body nobody logged in sends, answers it, then closes', async () => {
      // Before, /admin/login and /admin/bulk/* read any chunked body to its end before
      // answering (the body parser's refusal waits for it), and the 401 of the other forms
      // was followed by reading the rest without end: 200 MiB went in and more would have.
      for (const [path, type] of [
        ['/admin/login', 'application/x-www-form-urlencoded'],
        ['/admin/bulk/preview', 'application/x-www-form-urlencoded'],
        ['/admin/people/1/unsubscribed', 'application/x-www-form-urlencoded'],
        ['/admin/suppressions/import', 'multipart/form-data; boundary=b'],
      ]) {
        const { writtenMiB, answer } = await sendEndlessBody(
          svc.running.port,
          `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\n\r\n`,
          'name=alice&',
          100,
        );
        expect(writtenMiB, `MiB the client could send to ${path}`).to.be.below(40);
        // The answer comes as the connection closes on a client still writing: a reset can
        // reach the client before it reads the answer (as in request-path-hardening's test).
        if (answer !== '') expect(answer, path).to.match(/^HTTP\/1\.1 4\d\d .*connection: close/is);
      }
      // A declared length over the form's limit is refused at once, before its body.
      const head = await new Promise<string>((resolve) => {
        const socket = net.connect(svc.running.port, '127.0.0.1');
        let data = '';
        const finish = () => {
          clearTimeout(timer);
          socket.destroy();
          resolve(data);
        };
        const timer = setTimeout(finish, 5000);
        socket.on('data', (d: Buffer) => {
          data += d.toString('latin1');
          if (data.includes('\r\n\r\n')) finish();
        });
        socket.on('error', () => resolve(data));
        socket.write(
          'POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
            'Content-Length: 10000000000\r\n\r\nname=',
        );
      });
      expect(head).to.match(/^HTTP\/1\.1 413 .*connection: close/is);
    });
  });
}
