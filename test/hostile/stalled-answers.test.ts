import net from 'node:net';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { envelope, rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * Clients that ask for a large page (getMultipleLeads, about PAGE_MAX_BYTES) and never read it:
 * each connection held its answer until the idle timeout (45 s by default), so a few hundred
 * of them held gigabytes. Past MAX_STALLED_ANSWER_BYTES held in all for such connections, they
 * are closed, the largest first; a client reading its answer is served whole.
 */

const FIELDS = ['FirstName', 'LastName', 'Company', 'Title', 'City', 'Industry', 'LeadSource'];
const leadXml = (i: number) =>
  `<leadRecord><Email>stalled-${i}@example.com</Email><leadAttributeList>` +
  FIELDS.map(
    (f) =>
      `<attribute><attrName>${f}</attrName><attrValue>${'x'.repeat(250)}</attrValue></attribute>`,
  ).join('') +
  `<attribute><attrName>Address</attrName><attrValue>${'y'.repeat(3990)}</attrValue></attribute>` +
  '</leadAttributeList></leadRecord>';

const pageRequest = (port: number) => {
  const body = envelope(
    '<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector">' +
      '<oldestUpdatedAt>2000-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>' +
      '<batchSize>1000</batchSize></ns1:paramsGetMultipleLeads>',
  );
  return (
    `POST /soap/mktows/2_9 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Content-Type: text/xml; charset=utf-8\r\nSOAPAction: ""\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
};

interface Asker {
  /** Starts reading; resolves with whether the whole answer arrived before the connection ended. */
  readAll(): Promise<boolean>;
  socket: net.Socket;
}

/** Sends the page request; reads nothing until readAll (at once when `reading`). */
function ask(port: number, reading: boolean): Asker {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    socket.write(pageRequest(port));
    if (!reading) socket.pause();
  });
  let got = Buffer.alloc(0);
  const whole = () => {
    const end = got.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const length = /\r\ncontent-length: *(\d+)/i.exec(got.subarray(0, end).toString('latin1'));
    return length !== null && got.length - end - 4 >= Number(length[1]);
  };
  const done = new Promise<boolean>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (whole()) {
        resolve(true);
        socket.destroy();
      }
    });
    socket.on('close', () => resolve(whole()));
  });
  return {
    socket,
    readAll() {
      socket.resume();
      return done;
    },
  };
}

for (const engine of testEngines()) {
  describe(`answers held for clients that stopped reading (${engine.name})`, function () {
    this.timeout(180000);
    let service: TestService;
    before(async () => {
      service = await startTestService(engine, { maxStalledAnswerBytes: 8 * 1024 * 1024 });
      for (let from = 0; from < 1000; from += 100) {
        const records = Array.from({ length: 100 }, (_, k) => leadXml(from + k)).join('');
        const res = await rawCall(
          service.url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
        );
        expect(res.status, res.body.slice(0, 300)).to.equal(200);
      }
    });
    after(() => service?.stop());

    it('are let go past MAX_STALLED_ANSWER_BYTES, largest first, long before the idle timeout; a reader is served whole', async () => {
      const port = service.running.port;
      const stalled = Array.from({ length: 6 }, () => ask(port, false));
      const reader = ask(port, true);
      expect(await reader.readAll(), 'the reading client got its whole page').to.equal(true);
      // Their pages built and stuck: a few looks (one a second) later, well within 45 s.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      const served = await Promise.all(stalled.map((a) => a.readAll()));
      for (const a of stalled) a.socket.destroy();
      // 6 pages of about 8 MiB (less what the kernel took) against 8 MiB: at most one kept.
      expect(served.filter((whole) => whole).length).to.be.at.most(2);
      // The service serves the next client.
      expect(await ask(port, true).readAll()).to.equal(true);
    });
  });
}
