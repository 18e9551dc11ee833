/**
 * Two paths changing one address at once through a WORKERS=2 instance (each worker its own
 * pool, or its own SQLite writer on one file) and, for imports, the command line in a process
 * of its own: one-click links against SOAP re-subscribes of the address's people (and a person
 * moving to that address and away from it at the same time), Salesforce ticks and unticks
 * against `suppressions import`. Afterwards (rule 8): every person agrees with
 * the master status, the status is its newest history row, and each person's log tells, change
 * by change and in the history's order, every change of the status it followed.
 */
import { expect } from 'chai';
import { createServices } from '../../src/compose.js';
import type { Database } from '../../src/data-access/database.js';
import { syncLeadXml, syncManyXml } from '../support/durable-model-requests.js';
import { testEngines } from '../support/database.js';
import { afterRestart, LINK_SETTINGS, linkTokens } from '../support/kill-while-calling.js';
import { expectFollowedEveryChange, expectLogsTellFlags } from '../support/log-chain.js';
import { seeded } from '../support/seeded.js';
import { rawCall } from '../support/service.js';
import { cliImport } from '../support/cli-import.js';
import { withFreshService, type ServiceProcess } from '../support/service-process.js';
import { oneClick } from '../one-click/support.js';
import {
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  PATH_SECRET,
  send,
} from '../salesforce/support.js';

const ROUNDS = 12;
/** Each round of imports starts a process of the command line: fewer of them. */
const IMPORT_ROUNDS = 6;

/** The people of one address, created as two (dedupEnabled=false), one spelled otherwise. */
async function twoHolders(service: ServiceProcess, email: string): Promise<number[]> {
  const res = await rawCall(
    service.url,
    syncManyXml([{ email }, { email: ` ${email.toUpperCase()} ` }], false),
  );
  expect(res.status, res.body).to.equal(200);
  return [...res.body.matchAll(/<leadId>(\d+)<\/leadId>/g)].map((m) => Number(m[1]));
}

/**
 * The store agrees with itself on `email`: people and status (rule 8), the status and its
 * newest history row, and each person's Unsubscribed log with the history's changes of value,
 * one for one and in order (people who held the address from the start follow every one).
 */
async function expectSettled(database: Database, email: string, people: number[]): Promise<void> {
  const services = createServices(database, { customFields: [], defaultPartition: 'Default' });
  expect(await services.durableStatus.findViolations()).to.deep.equal([]);
  const report = await services.durableStatus.explain(email);
  const master = report.status?.unsubscribed ?? false;
  expect(report.leads.map((l) => l.id).sort()).to.deep.equal([...people].sort());
  for (const l of report.leads) expect(l.unsubscribed, `lead ${l.id}`).to.equal(master);
  const last = report.history[report.history.length - 1]!;
  expect(report.status).to.include({ unsubscribed: last.unsubscribed, changedAt: last.changedAt });
  await expectLogsTellFlags(services, report.leads);
  await expectFollowedEveryChange(services, report.history, people);
}

for (const engine of testEngines()) {
  describe(`two paths on one address through two workers (${engine.name})`, function () {
    this.timeout(180000);

    it('one-click links against SOAP re-subscribes: the last committed wins for everyone, logged in commit order', async () => {
      const settings = { WORKERS: '2', ...LINK_SETTINGS };
      await withFreshService(engine, { settings, built: true }, async (service, env) => {
        const email = 'race-link@example.com';
        const people = await twoHolders(service, email);
        const tokens = linkTokens();
        const random = seeded(11);
        for (let round = 0; round < ROUNDS; round++) {
          // Both at once, each on its own connection (the workers share them out).
          const calls = [
            oneClick(`${service.base}/u/${tokens.create(email)}`).then((r) =>
              expect(r.status, r.body).to.equal(200),
            ),
            rawCall(
              service.url,
              syncLeadXml({ id: people[Math.floor(random() * 2)]!, unsub: false }),
            ).then((r) => expect(r.status, r.body).to.equal(200)),
          ];
          await Promise.all(random() < 0.5 ? calls : calls.reverse());
        }
        await service.stop();
        await afterRestart(env, (database) => expectSettled(database, email, people));
      });
    });

    it('a person moving between two addresses against links and re-subscribes of one: everyone agrees, each log tells its flag', async () => {
      const settings = { WORKERS: '2', ...LINK_SETTINGS };
      await withFreshService(engine, { settings, built: true }, async (service, env) => {
        const [a, b] = ['race-move-a@example.com', 'race-move-b@example.com'];
        const holders = await twoHolders(service, b);
        const created = await rawCall(service.url, syncLeadXml({ email: a }));
        expect(created.status, created.body).to.equal(200);
        const mover = Number(/<leadId>(\d+)<\/leadId>/.exec(created.body)![1]);
        const tokens = linkTokens();
        const random = seeded(13);
        for (let round = 0; round < ROUNDS; round++) {
          // The move takes both addresses' locks; the link and the re-subscribe one of them.
          const to = round % 2 === 0 ? ` ${b.toUpperCase()} ` : a;
          const calls = [
            oneClick(`${service.base}/u/${tokens.create(b)}`).then((r) =>
              expect(r.status, r.body).to.equal(200),
            ),
            rawCall(service.url, syncLeadXml({ id: mover, emailAttribute: to })).then((r) =>
              expect(r.status, r.body).to.equal(200),
            ),
            rawCall(
              service.url,
              syncLeadXml({ id: holders[Math.floor(random() * 2)]!, unsub: false }),
            ).then((r) => expect(r.status, r.body).to.equal(200)),
          ];
          await Promise.all(random() < 0.5 ? calls : calls.reverse());
        }
        await service.stop();
        await afterRestart(env, async (database) => {
          const services = createServices(database, {
            customFields: [],
            defaultPartition: 'Default',
          });
          expect(await services.durableStatus.findViolations()).to.deep.equal([]);
          for (const email of [a, b]) {
            const report = await services.durableStatus.explain(email);
            const master = report.status?.unsubscribed ?? false;
            for (const l of report.leads) expect(l.unsubscribed, `lead ${l.id}`).to.equal(master);
            const last = report.history[report.history.length - 1];
            if (last)
              expect(report.status).to.include({
                unsubscribed: last.unsubscribed,
                changedAt: last.changedAt,
              });
            await expectLogsTellFlags(services, report.leads);
          }
        });
      });
    });

    it('Salesforce ticks and unticks against command-line imports: the same', async () => {
      const settings = { WORKERS: '2', SFDC_ORG_IDS: ORG_ID, SFDC_PATH_SECRET: PATH_SECRET };
      await withFreshService(engine, { settings, built: true }, async (service, env) => {
        const email = 'race-sfdc@example.com';
        const recordId = leadRecordId(7001);
        let note = 0;
        const notify = async (optedOut: boolean) => {
          const res = await send(
            listenerUrl(service.base),
            notificationsXml([
              {
                id: notificationId(++note),
                type: 'Lead',
                recordId,
                fields: { Email: email, HasOptedOutOfEmail: String(optedOut) },
              },
            ]),
          );
          expect(res.status, res.body).to.equal(200);
        };
        // The record's person, and one more holding the address by another spelling.
        await notify(false);
        const other = await rawCall(
          service.url,
          syncManyXml([{ email: `"race-sfdc"@example.com.` }], false),
        );
        expect(other.status, other.body).to.equal(200);
        const random = seeded(12);
        for (let round = 0; round < IMPORT_ROUNDS; round++) {
          const calls = [notify(random() < 0.5), cliImport(env, [email])];
          await Promise.all(random() < 0.5 ? calls : calls.reverse());
        }
        await service.stop();
        await afterRestart(env, async (database) => {
          const people = (
            (await database.knex('leads').select('id').orderBy('id')) as Array<{ id: number }>
          ).map((r) => Number(r.id));
          expect(people).to.have.length(2);
          await expectSettled(database, email, people);
        });
      });
    });
  });
}
