import net from 'node:net';
import { expect } from 'chai';
import sinon from 'sinon';
import type { Services } from '../../src/domain/services.js';
import type { EmailStatusRecord } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import type { TestService } from '../support/service.js';
import { settle } from '../support/wait.js';
import { AdminClient, consolePerTest } from './support.js';

/**
 * An export whose reader goes away mid-download: the writer waited for a 'drain' that never
 * comes, so the request never ended and kept its page of rows (and the rest of the export's
 * work) for the life of the process. It now stops when the answer closes.
 */

const ADDRESSES = 40000;
// Long enough that the export is more than the connection's buffers hold (megabytes on loopback).
const REASON = 'r'.repeat(240);

async function* rows(n: number) {
  for (let i = 0; i < n; i++)
    yield { line: i + 2, email: `abandoned-${i}@example.com`, reason: REASON, source: undefined };
}

for (const engine of testEngines()) {
  describe(`operator console: an export abandoned by its reader (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ svc, services, client } = c));

    it('ends the export when the reader goes away mid-download', async () => {
      await services.suppressions.import(rows(ADDRESSES));
      let ended = false;
      const original = services.suppressions.exportFiltered.bind(services.suppressions);
      sinon.stub(services.suppressions, 'exportFiltered').callsFake(async function* (
        ...args: Parameters<typeof original>
      ): AsyncGenerator<EmailStatusRecord> {
        try {
          yield* original(...args);
        } finally {
          ended = true;
        }
      });

      const cookie = client.cookieHeader;
      const socket = net.connect(Number(new URL(svc.base).port), '127.0.0.1');
      // A small window: the service's writes fill it and wait.
      socket.setNoDelay(true);
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write(
        `GET /admin/suppressions/export.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\n\r\n`,
      );
      // Long enough for the export to fill what the connection holds and wait for the reader.
      await new Promise((r) => setTimeout(r, 1500));
      expect(ended, 'the export is still waiting for its reader').to.equal(false);
      socket.destroy();
      // Once the server sees the connection gone: waited for by the clock, not 100 rounds of 20 ms.
      await settle('the export to end with its answer', () => ended, 60000);
      expect((await client.get('/admin/suppressions')).status).to.equal(200);
    });
  });
}
