/**
 * PROTECTED_REASONS: a suppression whose reason names a protected word (complaint by default)
 * is lifted only by an operator (person page, command line); every other path that would lift
 * it (SOAP syncLead and syncMultipleLeads, Salesforce) fails with 20106 and changes nothing.
 * Every lift that happens is recorded: what was lifted and since when.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { AdminClient, ALICE, postPersonFlag } from '../admin/support.js';
import {
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  PATH_SECRET,
  send,
} from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { snapshot } from '../support/harness.js';
import {
  faultCode,
  rawCall,
  startTestService,
  TEST_KEY_SECRET,
  type TestService,
} from '../support/service.js';
import { flagsOf } from '../support/people.js';
import { listRows } from '../support/suppression-list.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'dist/src/cli/index.js');
const MARCH_FIRST = '2026-03-01T09:00:00Z';

/** Two people holding `email` in two partitions, then the address suppressed for `reason`. */
async function suppressedPair(services: Services, email: string, reason: string) {
  const ids: number[] = [];
  for (const partition of ['Default', 'East'])
    ids.push(
      (
        await services.leads.sync(
          { email, attributes: [{ name: 'FirstName', value: partition }] },
          { path: ChangePaths.webService(), partition, matchByEmail: false },
        )
      ).leadId,
    );
  await services.suppressions.import(listRows([{ email, reason, date: MARCH_FIRST }]));
  return ids;
}

const resubscribe = (id: number) =>
  `<ns1:paramsSyncLead><leadRecord><Id>${id}</Id><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>false</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, cwd: ROOT },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          out: stdout + stderr,
        }),
    );
  });
}

for (const engine of testEngines()) {
  describe(`protected suppressions (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService;
    let services: Services;
    let n = 0;
    const fresh = (what: string) => `${what}${++n}@example.com`;

    before(async () => {
      service = await startTestService(engine, {
        adminUsers: [ALICE],
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
      services = service.running.services;
    });
    after(() => service.stop());

    const flags = (email: string) => flagsOf(services, email);

    /** A SOAP re-subscribe of an address suppressed for `reason`: fault 20106, nothing changed. */
    const expectProtected = async (reason: string, what: string) => {
      const email = fresh(what);
      const [a] = await suppressedPair(services, email, reason);
      const before = await snapshot(service.running.database);
      const res = await rawCall(service.url, resubscribe(a!));
      expect(faultCode(res.body), `${reason}: ${res.body}`).to.equal(20106);
      expect(await snapshot(service.running.database)).to.deep.equal(before);
      expect(await flags(email)).to.deep.equal([true, true]);
    };

    it('syncLead: fault 20106 saying why, nothing changed', async () => {
      const email = fresh('soap');
      const [a] = await suppressedPair(services, email, 'Spam complaint');
      const before = await snapshot(service.running.database);
      const res = await rawCall(service.url, resubscribe(a!));
      expect(faultCode(res.body), res.body).to.equal(20106);
      expect(res.body).to.contain('PROTECTED_REASONS').and.to.contain('2026-03-01');
      expect(await snapshot(service.running.database)).to.deep.equal(before);
      expect(await flags(email)).to.deep.equal([true, true]);
    });

    it("a reason written as one CamelCase name (a mail provider's SpamComplaint) is protected too", async () => {
      // Postmark's suppression export names the reason so; a list imported with it as the
      // reason column left the complaint an opt-out any integration's re-subscribe lifted.
      await expectProtected('SpamComplaint', 'camel');
    });

    it('a CamelCase name that starts with an abbreviation (ISPComplaint, FBLComplaint) is protected too', async () => {
      // Its words are ISP and Complaint: read as one word, "ispcomplaint", the complaint was a
      // plain opt-out that any integration's re-subscribe lifted.
      for (const reason of ['ISPComplaint', 'FBLComplaintReport']) {
        await expectProtected(reason, 'abbreviated');
      }
    });

    it('complaints as mail providers and feedback loops name them are protected; a bounce is not', async () => {
      // Mailgun's "complained", SendGrid's "spamreport", capitals run together, snake case, an
      // ARF report's "abuse": read as whole words of "complaint" only, each was a plain opt-out
      // that any integration's re-subscribe lifted.
      for (const reason of [
        'complained',
        'spamreport',
        'SPAMCOMPLAINT',
        'spam_complaint',
        'abuse',
      ]) {
        await expectProtected(reason, 'provider');
      }
      const email = fresh('bounce');
      const [a] = await suppressedPair(services, email, 'hard_bounce');
      const res = await rawCall(service.url, resubscribe(a!));
      expect(faultCode(res.body), res.body).to.equal(null);
      expect(await flags(email)).to.deep.equal([false, false]);
    });

    it('a reason in compatibility forms (full-width letters, as Japanese and Chinese input methods type them) is protected too', async () => {
      // Read as typed, "ＣＯＭＰＬＡＩＮＴ" named no protected word: a complaint any integration's
      // re-subscribe lifted.
      for (const reason of [
        'ＣＯＭＰＬＡＩＮＴ',
        'Spam ｃｏｍｐｌａｉｎｔ',
        'ＳｐａｍＣｏｍｐｌａｉｎｔ',
      ]) {
        await expectProtected(reason, 'compatibility');
      }
    });

    it('an imported reason cut to 1,000 characters keeps the protected word it held past them', async () => {
      // A provider's diagnostic text kept as the reason, the complaint named at its end: the
      // cut reason named none, and any integration's re-subscribe lifted the complaint.
      const diagnostic = 'Feedback report from the receiving provider. '.repeat(25);
      for (const reason of [`${diagnostic}Type: complaint`, `${'x'.repeat(995)} complaint`]) {
        const email = fresh('long');
        const [a] = await suppressedPair(services, email, reason);
        const stored = (await services.durableStatus.explain(email)).status!.reason!;
        expect(stored.length).to.be.at.most(1000);
        expect(stored.startsWith(reason.slice(0, 900))).to.equal(true);
        const before = await snapshot(service.running.database);
        const res = await rawCall(service.url, resubscribe(a!));
        expect(faultCode(res.body), res.body).to.equal(20106);
        expect(await snapshot(service.running.database)).to.deep.equal(before);
        expect(await flags(email)).to.deep.equal([true, true]);
      }
    });

    it('syncMultipleLeads: that record FAILED saying why, the others applied', async () => {
      const email = fresh('batch');
      const [a] = await suppressedPair(services, email, 'complaint');
      const other = fresh('other');
      const res = await rawCall(
        service.url,
        '<ns1:paramsSyncMultipleLeads><leadRecordList>' +
          `<leadRecord><Id>${a}</Id><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>false</attrValue></attribute></leadAttributeList></leadRecord>` +
          `<leadRecord><Email>${other}</Email></leadRecord>` +
          '</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>',
      );
      expect(res.status, res.body).to.equal(200);
      const statuses = [...res.body.matchAll(/<status>(\w+)<\/status>/g)].map((m) => m[1]);
      expect(statuses).to.deep.equal(['FAILED', 'CREATED']);
      expect(res.body).to.match(/<error>[^<]*PROTECTED_REASONS[^<]*<\/error>/);
      expect(await flags(email)).to.deep.equal([true, true]);
    });

    it('Salesforce: the notification is refused with 20106, nothing stored', async () => {
      const email = fresh('sfdc');
      await suppressedPair(services, email, 'complaint');
      const recordId = leadRecordId(++n);
      const url = listenerUrl(service.base);
      // Salesforce first reports the opt-out it learnt, then an unticked box.
      expectAck(
        await send(
          url,
          notificationsXml([
            {
              id: notificationId(++n),
              type: 'Lead',
              recordId,
              fields: { Email: email, HasOptedOutOfEmail: 'true' },
            },
          ]),
        ),
      );
      const before = await everything(service.running.database);
      const res = await send(
        url,
        notificationsXml([
          {
            id: notificationId(++n),
            type: 'Lead',
            recordId,
            fields: { Email: email, HasOptedOutOfEmail: 'false' },
          },
        ]),
      );
      expectFault(res, 'Client', 20106);
      expect(res.body).to.contain('PROTECTED_REASONS');
      expect(await everything(service.running.database)).to.deep.equal(before);
      expect(await flags(email)).to.deep.equal([true, true, true]);
    });

    // A complaint often arrives after the person's own unsubscribe (a link, an integration):
    // the address is unsubscribed already, but the complaint must still make it protected.
    for (const [what, complain] of [
      [
        'a listed complaint',
        (email: string) => services.suppressions.import(listRows([{ email, reason: 'complaint' }])),
      ],
      [
        "an operator's complaint suppression",
        (email: string) =>
          services.durableStatus.setAddressStatus({
            address: email,
            unsubscribed: true,
            path: ChangePaths.addressStatus('alice'),
            reason: 'Complaint',
            confirmProtected: false,
          }),
      ],
    ] as const) {
      it(`${what} on an address unsubscribed already is kept: SOAP cannot lift it`, async () => {
        const email = fresh('later');
        const { leadId } = await services.leads.sync(
          { email, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { path: ChangePaths.webService(), partition: 'Default', matchByEmail: false },
        );
        await complain(email);
        const history = (await services.durableStatus.explain(email)).history;
        expect(history.map((h) => [h.unsubscribed, h.reason])).to.deep.equal([
          [true, 'Web service API'],
          [true, what === 'a listed complaint' ? 'complaint' : 'Complaint'],
        ]);
        // Listing it again changes nothing more.
        await complain(email);
        expect((await services.durableStatus.explain(email)).history).to.have.length(2);
        const res = await rawCall(service.url, resubscribe(leadId));
        expect(faultCode(res.body), res.body).to.equal(20106);
        expect(await flags(email)).to.deep.equal([true]);
      });
    }

    it('an unprotected suppression is lifted by SOAP, and the history says what was lifted', async () => {
      const email = fresh('asked');
      const [a] = await suppressedPair(services, email, 'asked by letter');
      const res = await rawCall(service.url, resubscribe(a!));
      expect(res.status, res.body).to.equal(200);
      expect(await flags(email)).to.deep.equal([false, false]);
      const report = await services.durableStatus.explain(email);
      expect(report.status).to.include({
        unsubscribed: false,
        liftedReason: 'asked by letter',
        liftedAt: Date.parse(MARCH_FIRST),
      });
      expect(report.history.map((h) => [h.unsubscribed, h.liftedReason])).to.deep.equal([
        [true, null],
        [false, 'asked by letter'],
      ]);
    });

    it('the person page lifts a complaint suppression and shows what it lifted', async () => {
      const email = fresh('page');
      const [a] = await suppressedPair(services, email, 'complaint');
      const client = new AdminClient(service.base);
      expect((await client.logIn()).status).to.equal(303);
      // The page shows whom the change reaches first; lifting a complaint needs its own tick.
      const saved = await postPersonFlag(client, a!, { unsubscribed: false, liftProtected: true });
      expect(saved.status, saved.body).to.equal(303);
      expect(await flags(email)).to.deep.equal([false, false]);
      const page = await client.get(`/admin/people/${a}`);
      expect(page.body).to.contain(
        'This re-subscribe lifted a complaint suppression of 2026-03-01',
      );
      const address = await client.get(`/admin/address?email=${encodeURIComponent(email)}`);
      expect(address.body).to.contain('lifted a complaint suppression of 2026-03-01');
    });

    it('the command line lifts one (and explain shows it); other paths may under PROTECTED_REASONS=none', async () => {
      const email = fresh('cli');
      await suppressedPair(services, email, 'complaint');
      const env: Record<string, string> = service.config.databaseUrl
        ? { DATABASE_URL: service.config.databaseUrl, USER_KEY_SECRET: TEST_KEY_SECRET }
        : { DATABASE_URL: '', DATA_DIR: service.config.dataDir };
      const lifted = await cli(
        ['suppressions', 'remove', email, '--reason', 'asked by phone', '--actor', 'carol'],
        env,
      );
      expect(lifted.code, lifted.out).to.equal(0);
      expect(lifted.out).to.contain('lifted a complaint suppression of 2026-03-01');
      expect(await flags(email)).to.deep.equal([false, false]);
      const explained = await cli(['explain', email], env);
      expect(explained.out).to.contain('Master status: subscribed');
      expect(explained.out).to.contain('  lifted a complaint suppression of 2026-03-01');
      expect(explained.out).to.match(
        /subscribed +Command line \(carol\) — asked by phone \(lifted a complaint suppression of 2026-03-01\)/,
      );
      expect(
        (await cli(['suppressions', 'remove', email, '--reason', 'again'], env)).out,
      ).to.contain('is already not suppressed: nothing changed');

      const open = await startTestService(engine, { protectedReasons: [] });
      try {
        const again = fresh('open');
        const [a] = await suppressedPair(open.running.services, again, 'complaint');
        const res = await rawCall(open.url, resubscribe(a!));
        expect(res.status, res.body).to.equal(200);
        const report = await open.running.services.durableStatus.explain(again);
        expect(report.status).to.include({ unsubscribed: false, liftedReason: 'complaint' });
      } finally {
        await open.stop();
      }
    });
  });
}
