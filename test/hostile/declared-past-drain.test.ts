/**
 * A request refused before its body is read (an unknown path, a wrong listener secret, a
 * health check posted to, a console form without a session, another method on an endpoint)
 * has the rest of its body discarded up to a bound (four times MAX_BODY_BYTES) so that its
 * client reads the answer. A body declared larger than that bound can never be discarded
 * whole: it was read up to the bound all the same, or for BODY_TIMEOUT_MS when it came no
 * faster, and only then answered. It is now answered at once, and its connection closed
 * unread, as a SOAP call declared past the bound is.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { testServicePerSuite, type TestService } from '../support/service.js';
import { ALICE } from '../admin/support.js';
import { ORG_ID, PATH_SECRET } from '../salesforce/support.js';

const DECLARED = 1_000_000_000;
/** What the client sends of its body before it waits: far less than it declared. */
const SENT = Buffer.alloc(64 * 1024, 'x');
/** Long, so that an answer given only once the body stopped coming is plainly late. */
const BODY_TIMEOUT_MS = 30000;
const ANSWERED_WITHIN_MS = 5000;

/** What is asked, and the status it is answered with (a link's is 404 where links are off). */
const REFUSED_UNREAD: Array<[string, string, string, string]> = [
  ['an unknown path', 'POST', '/nothing-here', '404'],
  [
    'the Salesforce listener at a wrong secret',
    'POST',
    '/soap/salesforce/outbound/wrong-secret-0123456789',
    '404',
  ],
  ['a health check', 'POST', '/healthz', '405'],
  ['a console upload without a session', 'POST', '/admin/suppressions/import', '401'],
  ['the SOAP endpoint with PUT', 'PUT', '/soap/mktows/2_9', '405'],
  ['a link with PUT', 'PUT', '/u/some-token', '40[45]'],
];

for (const engine of testEngines()) {
  describe(`bodies declared past the discard bound (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;
    testServicePerSuite(engine, (s) => (service = s), {
      bodyTimeoutMs: BODY_TIMEOUT_MS,
      adminUsers: [ALICE],
      salesforceOrgIds: [ORG_ID],
      salesforcePathSecret: PATH_SECRET,
    });

    for (const [what, method, path, status] of REFUSED_UNREAD) {
      it(`answers ${what} at once and closes, reading none of the rest`, async () => {
        const head =
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Content-Type: multipart/form-data; boundary=x\r\nContent-Length: ${DECLARED}\r\n\r\n`;
        const answer = await exchangeUntilClosed(
          service.running.port,
          Buffer.concat([Buffer.from(head), SENT]),
          ANSWERED_WITHIN_MS,
        );
        expect(answer.split('\r\n')[0]).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
      });
    }
  });
}
