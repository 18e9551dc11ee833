import { expect } from 'chai';
import { createServices } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import {
  afterRestart,
  expectUnsubscribed,
  killWhileCalling,
  killWhileSendingEach,
} from '../support/kill-while-calling.js';
import { rawCall, syncUnsubscribedXml } from '../support/service.js';
import { withFreshService } from '../support/service-process.js';

const SHARED = ['kill-a@example.com', 'kill-b@example.com', 'kill-c@example.com'];

function bulk(batch: number, size: number): string {
  const records = Array.from({ length: size }, (_, i) => {
    const shared = i % 10 === 0;
    const email = shared ? SHARED[(batch + i) % SHARED.length] : `b${batch}-${i}@example.com`;
    const flag = shared
      ? `<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${(batch + i) % 2 === 0}</attrValue></attribute></leadAttributeList>`
      : '';
    return `<leadRecord><Email>${email}</Email>${flag}</leadRecord>`;
  }).join('');
  return `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`;
}

function statuses(body: string): Array<{ leadId: number; status: string }> {
  return [...body.matchAll(/<syncStatus><leadId>(\d+)<\/leadId><status>(\w+)<\/status>/g)].map(
    (m) => ({
      leadId: Number(m[1]),
      status: m[2]!,
    }),
  );
}

for (const engine of testEngines()) {
  describe(`service process signals (${engine.name})`, function () {
    this.timeout(120000);

    it('SIGKILL in the middle of bulk syncs loses no acknowledged write and breaks no invariant', async () => {
      await withFreshService(engine, {}, async (service, env) => {
        const acknowledged: Array<{ leadId: number; status: string }> = [];
        let batch = 0;
        // Kill once writes are being acknowledged, mid-stream.
        await killWhileCalling(service, {
          clients: 4,
          call: async () => {
            const res = await rawCall(service.url, bulk(batch++, 100));
            if (res.status === 200) acknowledged.push(...statuses(res.body));
          },
          ready: () => acknowledged.length > 0,
          after: 300,
        });
        expect(acknowledged.length).to.be.above(0);

        await afterRestart(env, async (database) => {
          const services = createServices(database, {
            customFields: [],
            defaultPartition: 'Default',
          });
          expect(await services.durableStatus.findViolations()).to.deep.equal([]);
          const ids = [
            ...new Set(acknowledged.filter((s) => s.status !== 'FAILED').map((s) => s.leadId)),
          ];
          const found = await services.leads.findMany('IDNUM', ids.map(String));
          expect(found.length).to.equal(ids.length);
        });
      });
    });

    it('SIGKILL during group commits of concurrent unsubscribes loses no acknowledged one', async () => {
      await withFreshService(engine, {}, async (service, env) => {
        // Single-lead calls from many clients at once: on SQLite they share group commits.
        const acknowledged: Array<{ leadId: number; email: string }> = [];
        let sent = 0;
        await killWhileCalling(service, {
          clients: 12,
          call: async () => {
            const email = `group-kill-${sent++}@example.com`;
            const res = await rawCall(service.url, syncUnsubscribedXml(email, 'true'));
            const leadId = /<leadId>(\d+)<\/leadId><status>CREATED</.exec(res.body)?.[1];
            if (res.status === 200 && leadId) acknowledged.push({ leadId: Number(leadId), email });
          },
          ready: () => acknowledged.length >= 20,
        });
        expect(acknowledged.length).to.be.at.least(20);

        await afterRestart(env, async (database) => {
          const stored = (await database
            .knex('leads')
            .select('id', 'email')
            .whereIn(
              'id',
              acknowledged.map((a) => a.leadId),
            )) as Array<{ id: number; email: string }>;
          const byId = new Map(stored.map((row) => [row.id, row.email]));
          for (const a of acknowledged) {
            expect(byId.get(a.leadId), `acknowledged lead ${a.leadId}`).to.equal(a.email);
          }
          await expectUnsubscribed(
            database,
            acknowledged.map((a) => a.email),
          );
        });
      });
    });

    it('SIGKILL during groups of one-step unsubscribes posted behind each other loses none', async () => {
      await withFreshService(engine, {}, async (service, env) => {
        // People who exist: their unsubscribes are checked steps (on SQLite a group's next
        // group is posted behind its COMMIT before that COMMIT is answered).
        const emails = Array.from({ length: 400 }, (_, i) => `step-kill-${i}@example.com`);
        for (let i = 0; i < emails.length; i += 200) {
          const records = emails
            .slice(i, i + 200)
            .map((e) => `<leadRecord><Email>${e}</Email></leadRecord>`)
            .join('');
          const res = await rawCall(
            service.url,
            `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`,
          );
          expect(res.status).to.equal(200);
        }
        const acknowledged = await killWhileSendingEach(service, emails, {
          clients: 12,
          enough: 30,
          send: async (email) => {
            const res = await rawCall(service.url, syncUnsubscribedXml(email, 'true'));
            return res.status === 200 && /<status>UPDATED</.test(res.body);
          },
        });
        expect(acknowledged.length).to.be.at.least(30);
        await afterRestart(env, (database) => expectUnsubscribed(database, acknowledged));
      });
    });

    // SIGHUP (a closed terminal) used to end the process at once, the call in flight cut off.
    for (const signal of ['SIGTERM', 'SIGHUP'] as const)
      it(`${signal} finishes the call in flight, stops accepting and exits 0`, async () => {
        await withFreshService(engine, {}, async (service) => {
          const inFlight = rawCall(service.url, bulk(1, 300));
          await new Promise((r) => setTimeout(r, 30));
          service.child.kill(signal);
          const res = await inFlight;
          expect(res.status, res.body.slice(0, 300)).to.equal(200);
          expect(statuses(res.body)).to.have.length(300);
          const { code } = await service.exited;
          expect(code, service.output()).to.equal(0);
          let refused = false;
          try {
            await fetch(`${service.base}/healthz`);
          } catch {
            refused = true;
          }
          expect(refused).to.equal(true);
        });
      });
  });
}
