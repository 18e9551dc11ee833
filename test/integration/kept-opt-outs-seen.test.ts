/**
 * An opt-out kept under a joined key (email_status_joined, migration 20261206004000) is seen
 * wherever an operator looks at a spelling it stands for. The console's address page and
 * `explain` read that spelling's own history: an address shown unsubscribed had no change
 * recorded, nothing said why it was, nor where the opt-out had been recorded.
 */
import { expect } from 'chai';
import { addressPage as renderAddressPage } from '../../src/admin/pages/address.js';
import { formatAddressReport } from '../../src/cli/explain.command.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import {
  activitiesOf,
  attr,
  createLead,
  flags,
  harnessPerSuite,
  setFlag,
  type Harness,
} from '../support/harness.js';
import { testEngines } from '../support/database.js';

const session = { operator: 'alice', csrfToken: 'token' };

for (const engine of testEngines()) {
  describe(`opt-outs kept under a joined key, where an operator looks (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    /** What the migration leaves of an opt-out recorded under `joined`: its row, its history, its copy. */
    async function keptOptOut(joined: string, reason: string, changedAt: number): Promise<void> {
      const row = {
        email_key: joined,
        unsubscribed: true,
        reason,
        source: 'Web service API',
        lead_id: null,
        changed_at: changedAt,
        recorded_at: changedAt,
      };
      await h.db.knex('email_status').insert(row);
      await h.db.knex('email_status_history').insert(row);
      const { email_key, ...kept } = row;
      await h.db.knex('email_status_joined').insert({ ...kept, joined_key: email_key });
    }

    it('the address page shows the kept opt-out, why, since when, and its history under the earlier key', async () => {
      await keptOptOut('ida@strasse.de', 'asked by letter', Date.UTC(2026, 0, 2));
      await h.services.leads.sync(
        { email: 'ida@stra\u00dfe.de' },
        { path: ChangePaths.webService() },
      );

      const page = await h.services.durableStatus.addressPage('Ida@Stra\u00dfe.de', {
        historyBefore: null,
        peopleAfter: 0,
        limit: 10,
      });
      expect(page.status).to.include({ unsubscribed: true, reason: 'asked by letter' });
      expect(page.keptUnder).to.equal('ida@strasse.de');
      expect(page.historyCount).to.equal(1);
      expect(page.history.map((r) => [r.unsubscribed, r.reason])).to.deep.equal([
        [true, 'asked by letter'],
      ]);
      const shown = renderAddressPage({ session, query: 'ida@stra\u00dfe.de', page });
      expect(shown).to.include('Unsubscribed</span> since 2026-01-02 00:00:00.000 UTC');
      expect(shown).to.include('Reason: asked by letter.');
      expect(shown).to.include('Kept under the earlier key <strong>ida@strasse.de</strong>');
      expect(shown).to.match(/History kept under ida@strasse.de\s*\(1\)/);
      expect(shown).not.to.include('No changes recorded.');

      // The plain spelling's page is its own, as before.
      const plain = await h.services.durableStatus.addressPage('ida@strasse.de', {
        historyBefore: null,
        peopleAfter: 0,
        limit: 10,
      });
      expect(plain.keptUnder).to.equal(null);
      expect(renderAddressPage({ session, query: 'ida@strasse.de', page: plain })).not.to.include(
        'Kept under',
      );
    });

    it('a spelling with a status of its own shows its own history, not the kept one', async () => {
      await keptOptOut('joe@strasse.de', 'asked by letter', Date.UTC(2026, 0, 2));
      await h.services.durableStatus.setAddressStatus({
        address: 'joe@stra\u00dfe.de',
        unsubscribed: false,
        path: ChangePaths.addressStatus('alice'),
        reason: 'asked by phone',
        confirmProtected: false,
      });
      const page = await h.services.durableStatus.addressPage('joe@stra\u00dfe.de', {
        historyBefore: null,
        peopleAfter: 0,
        limit: 10,
      });
      expect(page.keptUnder).to.equal(null);
      expect(page.status?.unsubscribed).to.equal(false);
      expect(page.history.map((r) => r.unsubscribed)).to.deep.equal([false]);
    });

    it('a re-subscribe at the spelling lifts it alone, recorded; the earlier key and its people stay unsubscribed', async () => {
      await keptOptOut('lea@strasse.de', 'asked by letter', Date.UTC(2026, 0, 4));
      const spelled = await createLead(h.services, 'lea@stra\u00dfe.de');
      const again = await createLead(h.services, 'Lea@Stra\u00dfe.de');
      const plain = await createLead(h.services, 'lea@strasse.de');
      expect(await flags(h.services, [spelled, again, plain])).to.deep.equal([true, true, true]);

      // By id, then (the other path of a sync) by address.
      const lifted = await setFlag(h.services, spelled, false);
      expect(lifted.status).to.equal('UPDATED');
      expect(await flags(h.services, [spelled, again, plain])).to.deep.equal([false, false, true]);
      const byAddress = await h.services.leads.sync(
        { email: 'LEA@stra\u00dfe.de', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        { path: ChangePaths.webService() },
      );
      expect(byAddress.status).to.equal('UPDATED');

      const own = await h.services.durableStatus.explain('lea@stra\u00dfe.de');
      expect(own.status).to.include({ unsubscribed: false, emailKey: 'lea@stra\u00dfe.de' });
      expect(own.keptUnder).to.equal(null);
      expect(own.history.map((r) => r.unsubscribed)).to.deep.equal([false]);
      const other = await h.services.durableStatus.explain('lea@strasse.de');
      expect(other.status).to.include({ unsubscribed: true, reason: 'asked by letter' });
      const kept = await h.db.knex('email_status_joined').where({ joined_key: 'lea@strasse.de' });
      expect(kept).to.have.length(1);
      const [change] = (await activitiesOf(h.services, spelled)).filter(
        (a) => attr(a, 'Attribute Name') === 'Unsubscribed',
      );
      expect(attr(change, 'Old Value')).to.equal('true');
      expect(attr(change, 'New Value')).to.equal('false');
      expect(attr(change, 'Lead ID')).to.equal(String(spelled));
      const [followed] = (await activitiesOf(h.services, again)).filter(
        (a) => attr(a, 'Attribute Name') === 'Unsubscribed',
      );
      expect(attr(followed, 'New Value')).to.equal('false');
      expect(
        (await activitiesOf(h.services, plain)).map((a) => attr(a, 'New Value')),
      ).not.to.include('false');
      expect(await h.services.durableStatus.findViolations()).to.deep.equal([]);
    });

    it('explain says the opt-out is kept under the earlier key and lists that history', async () => {
      await keptOptOut('kim@strasse.de', 'complaint', Date.UTC(2026, 0, 3));
      const report = await h.services.durableStatus.explain('kim@stra\u00dfe.de');
      expect(report.keptUnder).to.equal('kim@strasse.de');
      expect(report.history.map((r) => r.reason)).to.deep.equal(['complaint']);
      const text = formatAddressReport(report);
      expect(text).to.include('Master status: UNSUBSCRIBED since 2026-01-03T00:00:00.000Z');
      expect(text).to.include('kept under the earlier key kim@strasse.de');
      expect(text).to.include('History kept under kim@strasse.de (1 change, oldest first)');
    });

    it('verify finds a subscribed person at a kept spelling, and agreeing kept people do not fill its limit', async () => {
      await keptOptOut('max@strasse.de', 'asked by letter', Date.UTC(2026, 0, 5));
      const agreeing: number[] = [];
      for (let i = 0; i < 3; i++) agreeing.push(await createLead(h.services, 'max@stra\u00dfe.de'));
      expect(await flags(h.services, agreeing)).to.deep.equal([true, true, true]);
      // Two people who disagree with their address's status, written past the rules.
      const subscribed = await createLead(h.services, 'nia@stra\u00dfe.de');
      const plain = await createLead(h.services, 'nia@example.com');
      await keptOptOut('nia@strasse.de', 'asked by letter', Date.UTC(2026, 0, 5));
      await h.db.knex('leads').where('id', plain).update({ unsubscribed: true });
      try {
        const found = await h.services.durableStatus.findViolations(2);
        expect(
          found.map((v) => [v.leadId, v.leadUnsubscribed, v.masterUnsubscribed]),
        ).to.deep.equal([
          [subscribed, false, true],
          [plain, true, null],
        ]);
      } finally {
        await h.db.knex('leads').where('id', plain).update({ unsubscribed: false });
        await h.db.knex('leads').where('id', subscribed).update({ unsubscribed: true });
      }
      expect(await h.services.durableStatus.findViolations()).to.deep.equal([]);
    });
  });
}
