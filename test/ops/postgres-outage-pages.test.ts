import { expect } from 'chai';
import { AdminClient, ALICE } from '../admin/support.js';
import { listenerUrl, notificationsXml, ORG_ID, PATH_SECRET, send } from '../salesforce/support.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import { logLines, serviceOnPrivatePostgres } from '../support/outage-service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A database outage fails every request of the Salesforce listener and of the operator console:
 * each failure is logged with its cause in one line, as the SOAP calls' are, not a stack apiece.
 */
describe('the log of a PostgreSQL outage: the Salesforce listener and the console', function () {
  this.timeout(120000);
  const s = serviceOnPrivatePostgres({
    ADMIN_USERS: `${ALICE.name}:${ALICE.password}`,
    SFDC_ORG_IDS: ORG_ID,
    SFDC_PATH_SECRET: PATH_SECRET,
  });

  it('logs each failed message and page with its cause in one line, no stack', async () => {
    const console = new AdminClient(s.service.base);
    expect((await console.logIn()).status).to.equal(303);
    const notification = (n: number) =>
      notificationsXml([
        {
          id: id18(`04l${String(n).padStart(12, '0')}`),
          type: 'Lead',
          recordId: id18(`00Q${String(n).padStart(12, '0')}`),
          fields: { Email: `outage${n}@example.com`, HasOptedOutOfEmail: 'true' },
        },
      ]);
    expect((await send(listenerUrl(s.service.base), notification(1))).status).to.equal(200);

    s.pg.stop();
    const page = await console.get('/admin/address?email=during%40example.com');
    expect(page.status, page.body.slice(0, 400)).to.equal(503);
    const message = await send(listenerUrl(s.service.base), notification(2));
    expect(message.status, message.body).to.equal(500);
    s.pg.start();
    let recovered = false;
    for (let i = 0; i < 60 && !recovered; i++) {
      recovered = (await console.get('/admin/address?email=after%40example.com')).status === 200;
      if (!recovered) await sleep(500);
    }
    expect(recovered, s.service.output()).to.equal(true);

    const shown = s.service.output();
    const { json } = logLines(shown);
    for (const msg of ['salesforce listener failed', 'admin page failed']) {
      const failed = json.filter((l) => l.msg === msg);
      expect(failed.length, `${msg}\n${shown}`).to.be.at.least(1);
      for (const line of failed) {
        expect(line, shown).not.to.have.property('err');
        expect(line.cause, shown).to.match(/^Database unavailable: .*ECONNREFUSED/);
      }
    }
    // Not one stack in the log: every failure was the outage's.
    expect(shown).not.to.contain('"stack"');
  });
});
