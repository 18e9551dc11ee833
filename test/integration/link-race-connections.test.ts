/**
 * Two connections (two pools, or two SQLite connections) racing on one address: a link's
 * one-click opt-out, the page's undo (unauthenticated) and a web service move of another person
 * to the address with Unsubscribed=false (authenticated). Whatever the order: every holder
 * agrees with the master status, and the address ends subscribed only by the web service's
 * re-subscribe, never by the undo lifting the one-click's acknowledged opt-out.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { emailKey } from '../../src/domain/email-key.js';
import { masterStatusSource } from '../../src/domain/master-change.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { createLead, harnessPerSuite, type Harness } from '../support/harness.js';

const WINDOW = 60 * 60 * 1000;
const ROUNDS = 12;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of testEngines()) {
  describe(`an opt-out racing an undo and a re-subscribe on two connections (${engine.name})`, function () {
    this.timeout(120000);
    let h: Harness;
    let one: Services;
    let two: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      one = opened.services;
      two = opened.openAnother();
    });

    it(`${ROUNDS} rounds: holders agree, and only the web service's re-subscribe lifts the opt-out`, async () => {
      const web = masterStatusSource(ChangePaths.webService());
      for (let round = 0; round < ROUNDS; round++) {
        const email = `round${round}@race.example`;
        const key = emailKey(email);
        await createLead(one, email, { partition: round % 2 ? 'East' : 'Default' });
        const mover = await createLead(one, `mover${round}@race.example`);
        const page = { email, linkId: `p${String(round).padStart(15, '0')}`, list: null };
        const other = { email: email.toUpperCase(), linkId: 'o'.repeat(16), list: null };
        expect((await one.links.unsubscribe(page, 'page')).changed).to.equal(true);
        const move = round % 3 !== 2;
        await Promise.all([
          (async () => {
            await pause(round % 4);
            await two.links.unsubscribe(other, 'one-click');
          })(),
          (async () => {
            await pause((round + 1) % 3);
            await one.links.resubscribe(page, WINDOW, () => true);
          })(),
          (async () => {
            if (!move) return;
            await pause((round + 2) % 4);
            await two.leads.sync(
              {
                id: mover,
                email: ` ${email.toUpperCase()} `,
                attributes: [{ name: 'Unsubscribed', value: 'false' }],
              },
              { path: ChangePaths.webService() },
            );
          })(),
        ]);
        const report = await one.durableStatus.explain(email);
        expect(report.emailKey).to.equal(key);
        const status = report.status!;
        for (const lead of report.leads)
          expect(lead.unsubscribed, `round ${round}, lead ${lead.id}`).to.equal(
            status.unsubscribed,
          );
        if (!status.unsubscribed) expect(status.source, `round ${round}: lifted by`).to.equal(web);
        else expect(move || status.unsubscribed).to.equal(true);
      }
      expect(await one.durableStatus.findViolations()).to.deep.equal([]);
      void h;
    });
  });
}
