/**
 * A person's own opt-out (the web service, a link) of an address an operator or an import
 * suppressed already is recorded on the master status (acknowledged-opt-outs.ts): the address
 * page shows it, a lift form opened before it is refused as stale, and no person's flag or
 * activity log changes (rule 7). The same path stating it again writes nothing more. Over HTTP:
 * SOAP calls, one-click POSTs and the console's forms; the command line's import as a process.
 */
import { expect } from 'chai';
import type { Services } from '../../src/domain/services.js';
import { cliImport } from '../support/cli-import.js';
import { testEngines } from '../support/database.js';
import { activitiesOf } from '../support/harness.js';
import { syncLeadXml, syncManyXml, type SoapRecord } from '../support/durable-model-requests.js';
import { rawCall } from '../support/service.js';
import { oneClick, startLinkService, type LinkService } from '../one-click/support.js';
import { ALICE, AdminClient, statusFormOf } from './support.js';

const ANN = 'ann@example.com';

/** The address page's lift form (the address unsubscribed), with the reason typed. */
function liftFormOf(page: string, reason: string): Record<string, string> {
  const fields = statusFormOf(page, reason);
  expect(fields.unsubscribed, 'a lift form').to.equal('false');
  return fields;
}

/** Everything of the address's people a rule-7 statement must leave as it was. */
async function peopleState(services: Services) {
  const leads = await services.leads.find({ keyType: 'EMAIL', keyValue: ANN });
  const out = [];
  for (const l of leads.sort((a, b) => a.id - b.id))
    out.push({
      id: l.id,
      unsubscribed: l.unsubscribed,
      activities: (await activitiesOf(services, l.id)).length,
    });
  return out;
}

for (const engine of testEngines()) {
  describe(`a person's opt-out over an operator's or an import's suppression (${engine.name})`, function () {
    this.timeout(120000);
    let svc: LinkService;
    let client: AdminClient;
    beforeEach(async () => {
      svc = await startLinkService(engine, { adminUsers: [ALICE] });
      client = new AdminClient(svc.base);
      await client.logIn();
      // Ann's person, subscribed: the suppression below unsubscribes her (rule 1).
      const made = await rawCall(svc.url, syncLeadXml({ email: ANN }));
      expect(made.status, made.body).to.equal(200);
    });
    afterEach(() => svc.stop());

    const history = async () => (await svc.services.durableStatus.explain(ANN)).history;
    const status = async () => (await svc.services.durableStatus.explain(ANN)).status;
    const soap = async (xml: string) => {
      const r = await rawCall(svc.url, xml);
      expect(r.status, r.body).to.equal(200);
      return r.body;
    };
    // Unsubscribed=true alone: the person holds it already, so nothing of the person changes.
    const optOut: SoapRecord = { email: ANN, unsub: true };

    /** The console suppresses Ann's address with reason "bounced"; its page, lift form open. */
    async function consoleSuppression(): Promise<Record<string, string>> {
      const page = await client.get('/admin/address?email=ann%40example.com');
      const suppress = statusFormOf(page.body, 'bounced');
      expect(suppress.unsubscribed, 'a suppress form').to.equal('true');
      const done = await client.post('/admin/address/status', suppress);
      expect(done.location, done.body).to.match(/saved=unsubscribed$/);
      return liftFormOf((await client.get('/admin/address?email=ann%40example.com')).body, 'ok');
    }

    /** The command line imports Ann's address; the address page's lift form, open. */
    async function cliSuppression(): Promise<Record<string, string>> {
      const env: Record<string, string> = {
        DATABASE_URL: svc.config.databaseUrl ?? '',
        DATA_DIR: svc.config.dataDir,
      };
      await cliImport(env, [ANN]);
      expect(await status()).to.include({ unsubscribed: true });
      expect((await status())!.source).to.match(/^Suppression import/);
      return liftFormOf((await client.get('/admin/address?email=ann%40example.com')).body, 'ok');
    }

    /** The lift form opened before is refused, and the page shows the person's opt-out. */
    async function expectRecorded(form: Record<string, string>, source: RegExp, reason: string) {
      expect(await status()).to.deep.include({ unsubscribed: true, reason });
      expect((await status())!.source).to.match(source);
      const stale = await client.post('/admin/address/status', form);
      expect(stale.status, stale.body).to.equal(409);
      expect(stale.body).to.include(reason);
      expect((await status())!.unsubscribed).to.equal(true);
      const page = await client.get('/admin/address?email=ann%40example.com');
      expect(page.body).to.include(reason);
    }

    it('a syncLead opt-out over a console suppression: recorded, the older lift refused', async () => {
      const form = await consoleSuppression();
      const before = await peopleState(svc.services);
      const rows = (await history()).length;
      await soap(syncLeadXml(optOut));
      expect(await history()).to.have.length(rows + 1);
      await expectRecorded(form, /^Web service API/, 'Web service API');
      // Rule 7 for people: no flag and no activity changed.
      expect(await peopleState(svc.services)).to.deep.equal(before);
    });

    it('a syncLead opt-out over a command-line import: recorded, the older lift refused', async () => {
      const form = await cliSuppression();
      const before = await peopleState(svc.services);
      await soap(syncLeadXml(optOut));
      await expectRecorded(form, /^Web service API/, 'Web service API');
      expect(await peopleState(svc.services)).to.deep.equal(before);
    });

    it('a syncMultipleLeads opt-out over a console suppression: recorded as syncLead records it', async () => {
      const form = await consoleSuppression();
      const before = await peopleState(svc.services);
      const rows = (await history()).length;
      await soap(syncManyXml([optOut, { email: 'bob@example.com' }]));
      expect(await history()).to.have.length(rows + 1);
      await expectRecorded(form, /^Web service API/, 'Web service API');
      expect(await peopleState(svc.services)).to.deep.equal(before);
    });

    it('a one-click opt-out over a command-line import: recorded, the older lift refused', async () => {
      const form = await cliSuppression();
      const before = await peopleState(svc.services);
      const answer = await oneClick(svc.linkUrl(ANN));
      expect(answer.status, answer.body).to.equal(200);
      await expectRecorded(form, /^Unsubscribe link/, 'Unsubscribe link');
      expect(await peopleState(svc.services)).to.deep.equal(before);
    });

    it('restated by the same path, single and batch, it is recorded once', async () => {
      await consoleSuppression();
      const rows = (await history()).length;
      await soap(syncLeadXml(optOut));
      await soap(syncLeadXml(optOut));
      await soap(syncManyXml([optOut]));
      await oneClick(svc.linkUrl(ANN));
      await oneClick(svc.linkUrl(ANN));
      // The web service's, once; the link's opt-out over a person's own is not recorded again.
      expect(await history()).to.have.length(rows + 1);
      expect((await status())!.source).to.match(/^Web service API/);
    });

    it("an import's restating over the person's own opt-out records nothing", async () => {
      await soap(syncLeadXml(optOut));
      const rows = (await history()).length;
      await cliImport(
        { DATABASE_URL: svc.config.databaseUrl ?? '', DATA_DIR: svc.config.dataDir },
        [ANN],
      );
      expect(await history()).to.have.length(rows);
      expect((await status())!.source).to.match(/^Web service API/);
    });
  });
}
