/**
 * A Salesforce opt-out standing beneath an operator's or an import's suppression (the status
 * shows theirs, rule 7 left it so) is not lost when an operator lifts that suppression: the
 * lift re-subscribes nobody, the address shows Salesforce's opt-out instead and the operator
 * is told; lifted again, it lifts. Over HTTP: the listener's SOAP messages and the console's
 * forms; the command line as a process of its own.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ErrorCode } from '../../src/errors.js';
import type { Services } from '../../src/domain/services.js';
import { cliImport } from '../support/cli-import.js';
import { testEngines } from '../support/database.js';
import { expectAppError } from '../support/harness.js';
import { startTestService, type TestService } from '../support/service.js';
import { cli } from '../ops/support.js';
import {
  expectAck,
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  PATH_SECRET,
  send,
} from '../salesforce/support.js';
import {
  ALICE,
  AdminClient,
  formOf,
  importThroughPage,
  postPersonFlag,
  statusFormOf,
  until,
} from './support.js';

const ANN = 'ann@example.com';
const PAGE = '/admin/address?email=ann%40example.com';

async function peopleOf(services: Services): Promise<boolean[]> {
  const leads = await services.leads.find({ keyType: 'EMAIL', keyValue: ANN });
  return leads.sort((a, b) => a.id - b.id).map((l) => l.unsubscribed);
}

for (const engine of testEngines()) {
  describe(`a Salesforce opt-out beneath an operator's or an import's suppression (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;
    let services: Services;
    let client: AdminClient;
    let next = 0;
    const record = leadRecordId(1);
    beforeEach(async () => {
      svc = await startTestService(engine, {
        adminUsers: [ALICE],
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
      services = svc.running.services;
      client = new AdminClient(svc.base);
      await client.logIn();
    });
    afterEach(async () => {
      // The invariant holds after every step: nobody disagrees with the address's status.
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
      await svc.stop();
    });

    const status = async () => (await services.durableStatus.explain(ANN)).status;
    /** The record reported with Ann's address, its box as given, modstamp `ago` seconds back. */
    const report = async (optedOut: boolean, ago: number) =>
      expectAck(
        await send(
          listenerUrl(svc.base),
          notificationsXml([
            {
              id: notificationId(++next),
              type: 'Lead',
              recordId: record,
              fields: {
                Email: ANN,
                HasOptedOutOfEmail: String(optedOut),
                SystemModstamp: new Date(Date.now() - ago * 1000).toISOString(),
              },
            },
          ]),
        ),
      );
    /** The address page's form posted: suppress or lift, as the page offers. */
    const postForm = async (reason: string) => {
      const form = statusFormOf((await client.get(PAGE)).body, reason);
      return client.post('/admin/address/status', form);
    };
    const suppress = async () => {
      const done = await postForm('bounced');
      expect(done.location, done.body).to.match(/saved=unsubscribed$/);
      expect(await status()).to.include({ unsubscribed: true, reason: 'bounced' });
    };
    /** The console's import of a list holding Ann's address, "bounced": over any status. */
    const importBounced = async () => {
      await importThroughPage(client, services, `email,reason\n${ANN},bounced\n`);
      expect(await status()).to.include({ unsubscribed: true, reason: 'bounced' });
      expect((await status())!.source).to.not.match(/^Salesforce/);
    };
    /** A lift that finds the record's opt-out beneath: nothing lifted, the operator told. */
    const expectRevealed = async () => {
      const people = await peopleOf(services);
      const refused = await postForm('bounce resolved');
      expect(refused.status, refused.body).to.equal(409);
      expect(refused.body).to.include(`Not lifted: Salesforce record ${record}`);
      expect(refused.body).to.include('lift again to lift it');
      const now = await status();
      expect(now).to.include({ unsubscribed: true, reason: 'Salesforce sync' });
      expect(now!.source).to.equal(`Salesforce (${ORG_ID})`);
      expect(await peopleOf(services)).to.deep.equal(people);
      expect(people.every((u) => u)).to.equal(true);
    };
    const expectLifted = async () => {
      const lifted = await postForm('lifted knowingly');
      expect(lifted.location, lifted.body).to.match(/saved=resubscribed$/);
      expect((await status())!.unsubscribed).to.equal(false);
      expect((await peopleOf(services)).every((u) => !u)).to.equal(true);
    };

    it('an operator suppression first, then the opt-out: the lift shows it, a second lift lifts', async () => {
      await suppress();
      await report(true, 10);
      // Rule 7: the status keeps the operator's reason.
      expect(await status()).to.include({ unsubscribed: true, reason: 'bounced' });
      await expectRevealed();
      await expectLifted();
    });

    it("the opt-out first, then an import's suppression over it: the lift shows it, a second lift lifts", async () => {
      await report(true, 10);
      expect((await status())!.source).to.equal(`Salesforce (${ORG_ID})`);
      await importBounced();
      await expectRevealed();
      await expectLifted();
    });

    it("an opt-out an operator lifted knowingly while shown as Salesforce's is not brought back", async () => {
      await report(true, 10);
      await expectLifted();
      await importBounced();
      await expectLifted();
    });

    it('a record unticked in Salesforce since: the lift lifts', async () => {
      await suppress();
      await report(true, 20);
      await report(false, 10);
      expect(await status()).to.include({ unsubscribed: true, reason: 'bounced' });
      await expectLifted();
    });

    it("the person page's re-subscribe: the confirmation shown again with it; confirmed again, lifted", async () => {
      await suppress();
      await report(true, 10);
      const [id] = (await services.leads.find({ keyType: 'SFDCLEADID', keyValue: record })).map(
        (l) => l.id,
      );
      const people = await peopleOf(services);
      const refused = await postPersonFlag(client, id!, { unsubscribed: false, reason: 'ok' });
      expect(refused.status, refused.body).to.equal(409);
      expect(refused.body).to.include(`Not lifted: Salesforce record ${record}`);
      expect((await status())!.source).to.equal(`Salesforce (${ORG_ID})`);
      expect(await peopleOf(services)).to.deep.equal(people);
      // The confirmation shown again carries the status now shown: posted, it lifts.
      const fields = formOf(refused.body, `/admin/people/${id}/unsubscribed`);
      const again = await client.post(`/admin/people/${id}/unsubscribed`, fields);
      expect(again.location, again.body).to.match(/saved=resubscribed$/);
      expect((await status())!.unsubscribed).to.equal(false);
      expect((await peopleOf(services)).every((u) => !u)).to.equal(true);
    });

    it('a Change Data Value lift job: its people failed, not lifted, saying why; a second job lifts', async () => {
      // A second person on the address: one job reaches both.
      await services.leads.sync({ email: ANN }, { path: ChangePaths.webService() });
      await suppress();
      await report(true, 10);
      const lift = async () => {
        const id = await services.bulkChanges.start(
          { emailContains: 'ann@' },
          { field: 'Unsubscribed', value: 'false' },
          'alice',
          { confirmProtected: false },
        );
        await services.bulkChanges.run(id);
        await until(
          async () => (await services.bulkChanges.status(id)).job.state === 'done',
          'the job',
        );
        return services.bulkChanges.status(id);
      };
      const first = await lift();
      expect(first.totals.changed).to.equal(0);
      expect(first.failures).to.have.length(2);
      expect(first.failures.map((f) => f.why).join('\n')).to.include(
        `Not lifted: Salesforce record ${record}`,
      );
      expect((await status())!.source).to.equal(`Salesforce (${ORG_ID})`);
      expect((await peopleOf(services)).every((u) => u)).to.equal(true);
      const second = await lift();
      expect(second.failures).to.deep.equal([]);
      expect((await status())!.unsubscribed).to.equal(false);
      expect((await peopleOf(services)).every((u) => !u)).to.equal(true);
    });

    it("the command line's remove after an import: one line, exit 1; removed again, lifted", async () => {
      const env = { DATABASE_URL: svc.config.databaseUrl ?? '', DATA_DIR: svc.config.dataDir };
      await report(true, 10);
      await cliImport(env, [ANN]);
      expect((await status())!.source).to.match(/^Suppression import/);
      const args = ['suppressions', 'remove', ANN, '--reason', 'bounce resolved'];
      const first = await cli(args, env);
      expect(first.code, first.stdout + first.stderr).to.equal(1);
      expect(first.stderr.trim().split('\n')).to.have.length(1);
      expect(first.stderr).to.include(`Not lifted: Salesforce record ${record}`);
      expect((await status())!.source).to.equal(`Salesforce (${ORG_ID})`);
      expect((await peopleOf(services)).every((u) => u)).to.equal(true);
      const second = await cli(args, env);
      expect(second.code, second.stdout + second.stderr).to.equal(0);
      expect((await status())!.unsubscribed).to.equal(false);
    });
    /** Ann's address under an operator's complaint, Salesforce's opt-out reported beneath it. */
    const complaintOverOptOut = async () => {
      await report(true, 10);
      const done = await services.durableStatus.setAddressStatus({
        address: ANN,
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'spam complaint',
        confirmProtected: false,
      });
      expect(done.outcome).to.equal('unsubscribed');
      expect(await status()).to.include({
        reason: 'spam complaint',
        source: 'Address status (alice)',
      });
    };

    it('a complaint an unconfirmed lift may not touch: refused as before, nothing shown or changed beneath', async () => {
      await complaintOverOptOut();
      const before = await status();
      const [id] = (await services.leads.find({ keyType: 'SFDCLEADID', keyValue: record })).map(
        (l) => l.id,
      );
      // The person page's write, not confirmed for a complaint (its refusal, under the lock).
      await expectAppError(
        services.leads.setUnsubscribedReporting(
          id!,
          false,
          ChangePaths.personDetail('alice', false),
        ),
        ErrorCode.LEAD_SYNC_FAILED,
      );
      expect(await status()).to.deep.equal(before);
    });

    it("a confirmed lift of a complaint lifts it as confirmed: Salesforce's opt-out beneath is shown", async () => {
      await complaintOverOptOut();
      const lifted = await services.durableStatus.setAddressStatus({
        address: ANN,
        unsubscribed: false,
        path: ChangePaths.addressStatus('alice'),
        reason: 'complaint withdrawn',
        confirmProtected: true,
      });
      expect(lifted.outcome).to.equal('salesforce_beneath');
      const now = await status();
      expect(now).to.include({ unsubscribed: true, reason: 'Salesforce sync' });
      expect(now!.source).to.equal(`Salesforce (${ORG_ID})`);
      expect((await peopleOf(services)).every((u) => u)).to.equal(true);
    });
  });
}
