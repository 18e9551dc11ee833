import { expect } from 'chai';
import { startLoggedService, type LoggedService } from '../support/logged-service.js';
import { getLeadByEmailXml, rawCall, TEST_USER } from '../support/service.js';

/**
 * What an unauthenticated caller writes into the log through the one field of a refused SOAP
 * header that is logged, the user id: nothing a terminal or a log viewer reads as a control.
 * pino's JSON escapes CR, LF and ESC; it leaves DEL, the C1 controls (U+009B is a terminal's
 * CSI), the line and paragraph separators and the bidirectional controls as they came.
 */
describe('a refused SOAP header in the log (hostile user ids)', function () {
  this.timeout(30000);
  let service: LoggedService;

  before(async () => {
    service = await startLoggedService('warn');
  });
  after(() => service?.running.close());

  const refusals = () =>
    service
      .lines()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'SOAP authentication refused');

  it('writes the controls, separators and direction marks of an id as escapes, one line each', async () => {
    const url = `http://127.0.0.1:${service.running.port}/soap/mktows/2_9`;
    const unseen = ['\u009b31m', '\u0085', '\u007f', '\u2028', '\u2029', '\u202e', '\u2066'];
    const forged = `mallory${unseen.join('')}\n{"level":30,"msg":"admin login"}`;
    const unknown = await rawCall(url, getLeadByEmailXml('a@example.com'), {
      user: { userId: forged, encryptionKey: 'K' },
    });
    expect(unknown.status).to.equal(500);
    // An existing id, the separator that followed it trimmed by the header's reader: as before.
    await rawCall(url, getLeadByEmailXml('a@example.com'), {
      user: { userId: `${TEST_USER.userId}\u2028`, encryptionKey: 'not the key' },
    });

    for (const c of [...unseen.join('')]) {
      if (c >= ' ' && c <= '~') continue;
      const code = `U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      expect(service.text().includes(c), `${code} written to the log as it came`).to.equal(false);
    }
    const got = refusals().map((r) => [r.userId, r.reason]);
    expect(got).to.deep.equal([
      [
        'mallory\\u009b31m\\u0085\\u007f\\u2028\\u2029\\u202e\\u2066\n{"level":30,"msg":"admin login"}',
        'unknown user',
      ],
      [TEST_USER.userId, 'bad signature'],
    ]);
    // Each refusal one line of the log: the LF is pino's \n, the rest the escapes above.
    expect(service.lines().filter((line) => line.includes('admin login'))).to.have.length(1);
  });
});
