import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { answerStatuses, timedExchange } from '../support/raw-socket.js';
import { historyOf, linkServicePerSuite, type LinkService } from './support.js';

const ONE_CLICK = 'List-Unsubscribe=One-Click';

/** A one-click POST to `path` as a mailbox provider sends it (the direct path serves it). */
const oneClickPost = (path: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
  `Content-Length: ${ONE_CLICK.length}\r\n\r\n${ONE_CLICK}`;

for (const engine of testEngines()) {
  describe(`one-click POSTs from clients that half-close (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    linkServicePerSuite(engine, (opened) => (svc = opened));

    // Before: the connection ended with the client's side, the answer lost.
    it('answers and applies a whole one-click POST sent before the half-close', async () => {
      const email = 'half-close-one-click@example.com';
      const path = new URL(svc.linkUrl(email)).pathname;
      // Twice: the second answered once the first is written, after the client's side ended.
      const { got } = await timedExchange(svc.running.port, oneClickPost(path).repeat(2));
      const statuses = answerStatuses(got);
      expect(statuses, got).to.have.length(2);
      for (const status of statuses) expect(status, got).to.be.below(300);
      expect(await historyOf(svc.services, email)).to.have.length.above(0);
    });

    it('refuses at once, and applies nothing of, a one-click POST cut short by the half-close', async () => {
      const email = 'half-close-one-click-cut@example.com';
      const path = new URL(svc.linkUrl(email)).pathname;
      const whole = oneClickPost(path);
      const { got } = await timedExchange(svc.running.port, whole.slice(0, -5));
      expect(answerStatuses(got), got).to.deep.equal([400]);
      expect(await historyOf(svc.services, email)).to.have.length(0);
    });
  });
}
