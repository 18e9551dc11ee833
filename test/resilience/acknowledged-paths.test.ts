/**
 * Every path that acknowledges an opt-out, killed outright while it is answering: what it
 * acknowledged is stored after the restart (SOAP syncs: process-signals.test.ts).
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  afterRestart,
  expectUnsubscribed,
  killWhileCalling,
  killWhileSendingEach,
  LINK_SETTINGS,
  linkTokens,
  unsubscribedMasters,
} from '../support/kill-while-calling.js';
import { mergeXml, syncManyXml } from '../support/durable-model-requests.js';
import { rawCall } from '../support/service.js';
import { AdminClient, ALICE, postPersonFlag } from '../admin/support.js';
import { oneClick } from '../one-click/support.js';
import { workersOf } from '../support/proc.js';
import { withFreshService } from '../support/service-process.js';
import {
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  PATH_SECRET,
  send,
} from '../salesforce/support.js';

const ACK = /<Ack>true<\/Ack>/;

for (const engine of testEngines()) {
  describe(`acknowledged opt-outs survive a killed service (${engine.name})`, function () {
    this.timeout(120000);

    it('one-click POSTs answered 200 are all stored', async () => {
      await withFreshService(
        engine,
        { settings: LINK_SETTINGS, built: true },
        async (service, env) => {
          const tokens = linkTokens();
          const acknowledged: string[] = [];
          let sent = 0;
          await killWhileCalling(service, {
            clients: 8,
            call: async () => {
              const email = `click-kill-${sent++}@example.com`;
              const res = await oneClick(`${service.base}/u/${tokens.create(email)}`);
              if (res.status === 200 && res.body === 'Unsubscribed.\n') acknowledged.push(email);
            },
            ready: () => acknowledged.length >= 20,
          });
          expect(acknowledged.length).to.be.at.least(20);
          await afterRestart(env, async (database) => {
            expect(await unsubscribedMasters(database, acknowledged)).to.have.members(acknowledged);
          });
        },
      );
    });

    it('Salesforce messages answered Ack true are all stored', async () => {
      await withFreshService(
        engine,
        { settings: { SFDC_ORG_IDS: ORG_ID, SFDC_PATH_SECRET: PATH_SECRET }, built: true },
        async (service, env) => {
          const acknowledged: string[] = [];
          let sent = 0;
          await killWhileCalling(service, {
            clients: 8,
            call: async () => {
              const n = sent++;
              const emails = [0, 1, 2].map((k) => `sf-kill-${n}-${k}@example.com`);
              const xml = notificationsXml(
                emails.map((email, k) => ({
                  id: notificationId(n * 3 + k),
                  type: 'Lead',
                  recordId: leadRecordId(n * 3 + k),
                  fields: { Email: email, HasOptedOutOfEmail: 'true' },
                })),
              );
              const res = await send(listenerUrl(service.base), xml);
              if (res.status === 200 && ACK.test(res.body)) acknowledged.push(...emails);
            },
            ready: () => acknowledged.length >= 30,
          });
          expect(acknowledged.length).to.be.at.least(30);
          await afterRestart(env, (database) => expectUnsubscribed(database, acknowledged));
        },
      );
    });

    it("mergeLeads answered success carry every loser's opt-out to the winner's address", async () => {
      await withFreshService(engine, { built: true }, async (service, env) => {
        // Pairs: a winner with an address, a loser without one but opted out.
        const pairs: Array<{ winner: number; loser: number; email: string }> = [];
        for (let chunk = 0; chunk < 2; chunk++) {
          const records = Array.from({ length: 100 }, (_, i) => [
            { email: `merge-kill-${chunk * 100 + i}@example.com` },
            { foreignId: `loser-${chunk * 100 + i}`, unsub: true },
          ]).flat();
          const res = await rawCall(service.url, syncManyXml(records, false));
          const ids = [...res.body.matchAll(/<leadId>(\d+)<\/leadId><status>CREATED</g)].map((m) =>
            Number(m[1]),
          );
          expect(ids, res.body.slice(0, 500)).to.have.length(200);
          for (let i = 0; i < 100; i++)
            pairs.push({
              winner: ids[2 * i]!,
              loser: ids[2 * i + 1]!,
              email: records[2 * i]!.email!,
            });
        }
        let last = '';
        const merged = await killWhileSendingEach(service, pairs, {
          clients: 8,
          enough: 20,
          send: async (pair) => {
            const res = await rawCall(service.url, mergeXml(pair.winner, [pair.loser]));
            last = res.body;
            return res.status === 200 && /<status>MERGED<\/status>/.test(res.body);
          },
        });
        expect(merged.length, last).to.be.at.least(20);
        const acknowledged = merged.map((pair) => pair.email);
        await afterRestart(env, (database) => expectUnsubscribed(database, acknowledged));
      });
    });
    it('console unsubscribes of a person answered "saved" are all stored', async () => {
      await withFreshService(
        engine,
        { settings: { ADMIN_USERS: `${ALICE.name}:${ALICE.password}` }, built: true },
        async (service, env) => {
          const people: Array<{ id: number; email: string }> = [];
          for (let chunk = 0; chunk < 2; chunk++) {
            const records = Array.from({ length: 150 }, (_, i) => ({
              email: `console-kill-${chunk * 150 + i}@example.com`,
            }));
            const res = await rawCall(service.url, syncManyXml(records));
            const ids = [...res.body.matchAll(/<leadId>(\d+)<\/leadId><status>CREATED</g)].map(
              (m) => Number(m[1]),
            );
            expect(ids, res.body.slice(0, 500)).to.have.length(150);
            ids.forEach((id, i) => people.push({ id, email: records[i]!.email }));
          }
          const client = new AdminClient(service.base);
          expect((await client.logIn()).status).to.equal(303);
          const saved = await killWhileSendingEach(service, people, {
            clients: 6,
            enough: 20,
            send: async (person) => {
              const res = await postPersonFlag(client, person.id, { unsubscribed: true });
              return res.status === 303 && res.location?.endsWith('saved=unsubscribed') === true;
            },
          });
          expect(saved.length).to.be.at.least(20);
          const acknowledged = saved.map((person) => person.email);
          await afterRestart(env, (database) => expectUnsubscribed(database, acknowledged));
        },
      );
    });
    it('one-click POSTs answered 200 by a WORKERS instance, one worker killed outright: all stored', async () => {
      await withFreshService(
        engine,
        { settings: { WORKERS: '2', ...LINK_SETTINGS }, built: true },
        async (service, env) => {
          const acknowledged: string[] = [];
          try {
            const tokens = linkTokens();
            let sent = 0;
            let running = true;
            const client = async () => {
              while (running) {
                const email = `worker-kill-${sent++}@example.com`;
                try {
                  const res = await fetch(`${service.base}/u/${tokens.create(email)}`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/x-www-form-urlencoded' },
                    body: 'List-Unsubscribe=One-Click',
                    // One sent as the worker died may get no answer and no close (its connection
                    // lost between the primary and the dead worker): not acknowledged.
                    signal: AbortSignal.timeout(10000),
                  });
                  if (res.status === 200 && (await res.text()) === 'Unsubscribed.\n')
                    acknowledged.push(email);
                } catch {
                  // its connection died with the worker: not acknowledged
                }
              }
            };
            const clients = Array.from({ length: 8 }, client);
            for (let waited = 0; acknowledged.length < 20 && waited < 60000; waited += 10)
              await new Promise((r) => setTimeout(r, 10));
            const [victim] = workersOf(service.pid);
            process.kill(victim!, 'SIGKILL');
            await new Promise((r) => setTimeout(r, 500));
            running = false;
            await Promise.all(clients);
            expect(acknowledged.length).to.be.at.least(20);
          } finally {
            await service.stop();
          }
          await afterRestart(env, async (database) => {
            const stored = await unsubscribedMasters(database, acknowledged);
            expect(stored).to.have.members(acknowledged);
          });
        },
      );
    });
  });
}
