import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { settle } from '../support/wait.js';
import { AdminClient, consolePerTest } from './support.js';

/**
 * Import uploads that do not end as a multipart form should: a form cut inside its file part,
 * an upload whose client goes away. Each is refused or dropped, imports nothing, keeps the
 * service up and leaves no copy of the partial file in the temporary directory.
 */

const BOUNDARY = 'du-upload-boundary';

/** The import form's fields, the file part left open: no closing delimiter follows. */
function cutForm(csrf: string | null): string {
  const token =
    csrf === null
      ? ''
      : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`;
  return (
    token +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n` +
    'Content-Type: text/csv\r\n\r\nemail\r\ncut@example.com\r\n'
  );
}

/**
 * Waits for the server to reach a state (its upload started, its file removed): by the clock
 * (settle), no longer a bound of 100 rounds of 20 ms, some 2 s, which a loaded machine can
 * spend before the server has read the request.
 */
const until = (check: () => boolean, what: string) => settle(what, check, 30000);

for (const engine of testEngines()) {
  describe(`operator console: broken and abandoned uploads (${engine.name})`, function () {
    this.timeout(60000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;
    let tmp: string;
    let savedTmpdir: string | undefined;

    // The uploads' temporary directory, of this file alone (os.tmpdir() reads TMPDIR).
    before(() => {
      savedTmpdir = process.env.TMPDIR;
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-upload-bodies-'));
      process.env.TMPDIR = tmp;
    });
    after(() => {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    const leftovers = () => fs.readdirSync(tmp).filter((f) => f.startsWith('du-import-'));

    const postCut = async (csrf: string | null) => {
      const res = await fetch(`${svc.base}/admin/suppressions/import`, {
        method: 'POST',
        headers: {
          Cookie: client.cookieHeader,
          'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        },
        body: cutForm(csrf),
        redirect: 'manual',
      });
      return { status: res.status, body: await res.text() };
    };

    it('answers a form cut inside its file part 400, importing nothing, and keeps serving', async () => {
      const reply = await postCut(client.csrf);
      expect(reply.status).to.equal(400);
      expect(reply.body).to.include('The upload was not understood.');
      expect(await services.suppressionImports.recent()).to.deep.equal([]);
      expect((await fetch(`${svc.base}/healthz`)).status).to.equal(200);
      await until(() => leftovers().length === 0, 'the partial upload to be removed');
    });

    it('answers such a form without its token 403 (or 400), never keeping the file', async () => {
      const reply = await postCut(null);
      expect([400, 403]).to.include(reply.status);
      expect(await services.suppressionImports.recent()).to.deep.equal([]);
      expect((await fetch(`${svc.base}/healthz`)).status).to.equal(200);
      expect(leftovers()).to.deep.equal([]);
    });

    it('removes the partial file of an upload whose client goes away, importing nothing', async () => {
      const { port } = new URL(svc.base);
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST /admin/suppressions/import HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          `Cookie: ${client.cookieHeader}\r\n` +
          `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
          'Content-Length: 1000000\r\n\r\n' +
          cutForm(client.csrf),
      );
      // The file part has begun: its copy exists.
      await until(() => leftovers().length === 1, 'the upload to start');
      socket.destroy();
      await until(() => leftovers().length === 0, 'the partial upload to be removed');
      expect(await services.suppressionImports.recent()).to.deep.equal([]);
      expect((await fetch(`${svc.base}/healthz`)).status).to.equal(200);
    });
  });
}
