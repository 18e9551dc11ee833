/**
 * An opt-out kept under a joined key (email_status_joined, migration 20261206004000: recorded
 * under `ann@strasse.de` before the key kept `ann@straße.de` apart) counts for the spelling
 * that has no status of its own, on every path. The link's unsubscribe read the address's own
 * status only: at such a spelling it wrote an unsubscribe of its own, the page offered its undo,
 * and the undo lifted the opt-out that stood before the link was followed, every person of the
 * address with it. A Salesforce record reported opted out at such a spelling marked nothing
 * (the mark is a column of the address's own row), so an opt-out acknowledged after it left no
 * trace, and the record's untick, made before that opt-out but delivered after it, lifted it.
 * A suppression list naming such a spelling took it for a fresh suppression: its own row, with
 * the list's reason, replaced a kept complaint, which any web service re-subscribe then lifted.
 * The console's Change Data Value counted only own statuses' complaints: a job re-subscribing
 * such a spelling was neither counted in its preview nor refused at its start unconfirmed.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ORG_ID, leadNotification } from '../salesforce/support.js';
import { harnessPerSuite, servicesPerSuite, type Harness } from '../support/harness.js';
import type { Services } from '../../src/compose.js';
import type { LinkSubject } from '../../src/domain/link-unsubscribe.service.js';
import { ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import { flagsOf } from '../support/people.js';

const WINDOW = 15 * 60000;
const always = () => true;

for (const engine of testEngines()) {
  describe(`opt-outs kept under a joined key, on the link path (${engine.name})`, function () {
    this.timeout(30000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let services: Services;
    const clock = Date.now();

    servicesPerSuite(
      engine,
      () => clock,
      (opened, database) => {
        services = opened;
        made = database;
      },
    );

    /** What the migration keeps of an opt-out recorded under `joined` before it (no person). */
    const kept = (joined: string) =>
      made.db.knex('email_status_joined').insert({
        joined_key: joined,
        unsubscribed: true,
        reason: 'Web service API',
        source: 'Web service API',
        lead_id: null,
        changed_at: 200,
        recorded_at: 200,
      });
    const subject = (email: string): LinkSubject => ({
      email,
      linkId: 'aaaaaaaaaaaaaaaa',
      list: null,
    });
    const history = async (key: string) =>
      Number(
        (
          (await made.db.knex('email_status_history').where({ email_key: key }).count({
            n: '*',
          })) as [{ n: unknown }]
        )[0].n,
      );

    it('the page finds the address unsubscribed already: no undo, nothing written, the undo refused', async () => {
      await kept('cat@strasse.de');
      await services.leads.sync(
        { email: 'Cat@Stra\u00dfe.de' },
        { path: ChangePaths.webService() },
      );
      expect(await flagsOf(services, 'cat@stra\u00dfe.de')).to.deep.equal([true]);
      const before = await history('cat@stra\u00dfe.de');

      const page = await services.links.unsubscribe(subject('cat@stra\u00dfe.de'), 'page');
      expect(page.changed).to.equal(false);
      expect(await history('cat@stra\u00dfe.de')).to.equal(before);
      const undo = await services.links.resubscribe(subject('cat@stra\u00dfe.de'), WINDOW, always);
      expect(undo.outcome).to.equal('not_this_link');
      expect(await flagsOf(services, 'cat@stra\u00dfe.de')).to.deep.equal([true]);
      // A provider's one-click changes nothing either.
      const oneClick = await services.links.unsubscribe(subject('CAT@stra\u00dfe.de'));
      expect(oneClick.changed).to.equal(false);
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });

    it("lifted at that spelling since, the page's unsubscribe is its own again, and its undo too", async () => {
      await kept('dan@strasse.de');
      await services.leads.sync(
        { email: 'dan@stra\u00dfe.de' },
        { path: ChangePaths.webService() },
      );
      const lift = await services.durableStatus.setAddressStatus({
        address: 'dan@stra\u00dfe.de',
        unsubscribed: false,
        path: ChangePaths.addressStatus('ops'),
        reason: 'asked by phone',
        confirmProtected: false,
      });
      expect(lift.outcome).to.equal('resubscribed');
      expect(await flagsOf(services, 'dan@stra\u00dfe.de')).to.deep.equal([false]);

      const page = await services.links.unsubscribe(subject('dan@stra\u00dfe.de'), 'page');
      expect(page).to.include({ changed: true, people: 1, undoable: true });
      expect(await flagsOf(services, 'dan@stra\u00dfe.de')).to.deep.equal([true]);
      const undo = await services.links.resubscribe(subject('dan@stra\u00dfe.de'), WINDOW, always);
      expect(undo.outcome).to.equal('resubscribed');
      expect(await flagsOf(services, 'dan@stra\u00dfe.de')).to.deep.equal([false]);
      // A link undoes once: the next page unsubscribe offers none.
      const again = await services.links.unsubscribe(subject('dan@stra\u00dfe.de'), 'page');
      expect(again).to.include({ changed: true, undoable: false });
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });
  });

  describe(`opt-outs kept under a joined key, on the Salesforce path (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });
    const flags = async (email: string) =>
      (await h.services.leads.find({ keyType: 'EMAIL', keyValue: email })).map(
        (l) => l.unsubscribed,
      );

    it("an untick made before another path's later opt-out, delivered after it, is not applied", async () => {
      const email = 'eve@stra\u00dfe.de';
      const t0 = h.clock.t;
      await h.db.knex('email_status_joined').insert({
        joined_key: 'eve@strasse.de',
        unsubscribed: true,
        reason: 'Web service API',
        source: 'Web service API',
        lead_id: null,
        changed_at: t0 - 86400000,
        recorded_at: t0 - 86400000,
      });
      h.clock.set(t0 + 1000);
      const ticked = { Email: email, Unsubscribed: 'true' };
      await h.services.salesforce.apply(ORG_ID, [leadNotification(1, 901, ticked, t0 + 1000)]);
      expect(await flags(email)).to.deep.equal([true]);
      h.clock.set(t0 + 3000);
      await h.services.leads.sync(
        { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        { path: ChangePaths.webService('crm') },
      );
      // The record's untick, made between its tick and that opt-out, delivered a minute late.
      h.clock.set(t0 + 60000);
      const [result] = await h.services.salesforce.apply(ORG_ID, [
        leadNotification(2, 901, { Unsubscribed: 'false', FirstName: 'Eve' }, t0 + 2000),
      ]);
      expect(result!.outcome).to.equal('APPLIED');
      expect(await flags(email)).to.deep.equal([true]);
      expect((await h.services.durableStatus.explain(email)).status?.unsubscribed).to.equal(true);
      // The kept opt-out became the address's own when the tick came, dated as it was, and
      // recorded then (what an export since a backup replays).
      const [copy] = (await h.db
        .knex('email_status_history')
        .where({ email_key: email })
        .orderBy('id')) as Array<{ changed_at: unknown; recorded_at: unknown }>;
      expect(Number(copy?.changed_at)).to.equal(t0 - 86400000);
      expect(Number(copy?.recorded_at)).to.be.within(t0 + 1000, t0 + 3000);
      // The web service's opt-out is what the address's own row records now: the trace.
      const own = (await h.db.knex('email_status').where({ email_key: email }).first()) as
        { unsubscribed: unknown; changed_at: unknown } | undefined;
      expect([Boolean(Number(own?.unsubscribed)), Number(own?.changed_at)]).to.deep.equal([
        true,
        t0 + 3000,
      ]);
      expect(await h.services.durableStatus.findViolations()).to.deep.equal([]);
    });
  });

  describe(`opt-outs kept under a joined key, on the import and console paths (${engine.name})`, function () {
    this.timeout(60000);
    let h: Harness;
    harnessPerSuite(engine, (opened) => {
      h = opened;
    });

    it('a Change Data Value job re-subscribing the spelling counts the kept complaint, and asks', async () => {
      await h.db.knex('email_status_joined').insert({
        joined_key: 'hal@strasse.de',
        unsubscribed: true,
        reason: 'Spam complaint',
        source: 'Web service API',
        lead_id: null,
        changed_at: 100,
        recorded_at: 100,
      });
      const { leadId } = await h.services.leads.sync(
        { email: 'hal@stra\u00dfe.de' },
        { path: ChangePaths.webService() },
      );
      const plain = await h.services.leads.sync(
        { email: 'hal@plain.example' },
        { path: ChangePaths.webService() },
      );
      const untick = { field: 'Unsubscribed', value: 'false' };
      const ids = [leadId, plain.leadId];
      const preview = await h.services.bulkChanges.preview({ ids }, untick);
      expect(preview.protectedAddresses).to.equal(1);
      const started = await h.services.bulkChanges
        .start({ ids }, untick, 'alice', { confirmProtected: false })
        .then(
          () => null,
          (error: { code?: string }) => error.code,
        );
      expect(started).to.equal(ErrorCode.BAD_PARAMETER);
      // Nothing but the spelling's own people counts: the plain one alone asks nothing.
      const other = await h.services.bulkChanges.preview({ ids: [plain.leadId] }, untick);
      expect(other.protectedAddresses).to.equal(0);
    });

    it('a list naming the spelling finds it suppressed already: a kept complaint stays one', async () => {
      await h.db.knex('email_status_joined').insert({
        joined_key: 'gus@strasse.de',
        unsubscribed: true,
        reason: 'complaint',
        source: 'Web service API',
        lead_id: null,
        changed_at: 100,
        recorded_at: 100,
      });
      const { leadId } = await h.services.leads.sync(
        { email: 'gus@stra\u00dfe.de' },
        { path: ChangePaths.webService() },
      );
      async function* rows() {
        yield { line: 2, email: 'Gus@Stra\u00dfe.de', reason: 'bounced' };
      }
      const imported = await h.services.suppressions.import(rows());
      expect(imported).to.include({ suppressed: 0, alreadySuppressed: 1 });
      const untick = [{ name: 'Unsubscribed', value: 'false' }];
      const lift = await h.services.leads
        .sync({ id: leadId, attributes: untick }, { path: ChangePaths.webService() })
        .then(
          () => null,
          (error: { code?: string }) => error.code,
        );
      expect(lift).to.equal(ErrorCode.LEAD_SYNC_FAILED);
      const [person] = await h.services.leads.find({ keyType: 'IDNUM', keyValue: String(leadId) });
      expect(person?.unsubscribed).to.equal(true);
      expect(
        (await h.services.durableStatus.explain('gus@stra\u00dfe.de')).status?.reason,
      ).to.equal('complaint');
    });
  });
}
