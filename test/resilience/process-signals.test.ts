import { expect } from 'chai';
import { openDatabase } from '../../src/data-access/database.js';
import { createServices } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { rawCall } from '../support/service.js';
import { freshServiceDatabase, spawnService } from '../support/service-process.js';

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

function unsubscribe(email: string): string {
  return `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
}

for (const engine of testEngines()) {
  describe(`service process signals (${engine.name})`, function () {
    this.timeout(120000);

    it('SIGKILL in the middle of bulk syncs loses no acknowledged write and breaks no invariant', async () => {
      const db = await freshServiceDatabase(engine);
      try {
        const service = await spawnService(db.env);
        const acknowledged: Array<{ leadId: number; status: string }> = [];
        let batch = 0;
        const client = async () => {
          for (;;) {
            const b = batch++;
            try {
              const res = await rawCall(service.url, bulk(b, 100));
              if (res.status === 200) acknowledged.push(...statuses(res.body));
            } catch {
              return; // the connection died with the process
            }
          }
        };
        const clients = Array.from({ length: 4 }, client);
        // Kill once writes are being acknowledged (however slow the machine), mid-stream.
        for (let waited = 0; acknowledged.length === 0 && waited < 60000; waited += 50) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await new Promise((r) => setTimeout(r, 300));
        service.child.kill('SIGKILL');
        await Promise.all(clients);
        await service.exited;
        expect(acknowledged.length).to.be.above(0);

        const database = openDatabase({
          databaseUrl: db.env.DATABASE_URL ?? '',
          dataDir: db.env.DATA_DIR ?? '',
          sqliteBusyTimeoutMs: 5000,
          dbPoolMax: 2,
        });
        try {
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
        } finally {
          await database.close();
        }
      } finally {
        await db.drop();
      }
    });

    it('SIGKILL during group commits of concurrent unsubscribes loses no acknowledged one', async () => {
      const db = await freshServiceDatabase(engine);
      try {
        const service = await spawnService(db.env);
        // Single-lead calls from many clients at once: on SQLite they share group commits.
        const acknowledged: Array<{ leadId: number; email: string }> = [];
        let sent = 0;
        const client = async () => {
          for (;;) {
            const email = `group-kill-${sent++}@example.com`;
            try {
              const res = await rawCall(service.url, unsubscribe(email));
              const leadId = /<leadId>(\d+)<\/leadId><status>CREATED</.exec(res.body)?.[1];
              if (res.status === 200 && leadId)
                acknowledged.push({ leadId: Number(leadId), email });
            } catch {
              return; // the connection died with the process
            }
          }
        };
        const clients = Array.from({ length: 12 }, client);
        for (let waited = 0; acknowledged.length < 20 && waited < 60000; waited += 20) {
          await new Promise((r) => setTimeout(r, 20));
        }
        service.child.kill('SIGKILL');
        await Promise.all(clients);
        await service.exited;
        expect(acknowledged.length).to.be.at.least(20);

        const database = openDatabase({
          databaseUrl: db.env.DATABASE_URL ?? '',
          dataDir: db.env.DATA_DIR ?? '',
          sqliteBusyTimeoutMs: 5000,
          dbPoolMax: 2,
        });
        try {
          const stored = (await database
            .knex('leads')
            .select('id', 'email', 'unsubscribed')
            .whereIn(
              'id',
              acknowledged.map((a) => a.leadId),
            )) as Array<{ id: number; email: string; unsubscribed: boolean | number }>;
          const byId = new Map(stored.map((row) => [row.id, row]));
          for (const a of acknowledged) {
            const row = byId.get(a.leadId);
            expect(row?.email, `acknowledged lead ${a.leadId}`).to.equal(a.email);
            expect(Boolean(row?.unsubscribed), a.email).to.equal(true);
          }
          const masters = (await database
            .knex('email_status')
            .whereIn(
              'email_key',
              acknowledged.map((a) => a.email),
            )
            .where('unsubscribed', true)
            .count({ n: '*' })) as Array<{ n: number | string }>;
          expect(Number(masters[0]?.n)).to.equal(acknowledged.length);
        } finally {
          await database.close();
        }
      } finally {
        await db.drop();
      }
    });

    it('SIGKILL during groups of one-step unsubscribes posted behind each other loses none', async () => {
      const db = await freshServiceDatabase(engine);
      try {
        const service = await spawnService(db.env);
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
        const acknowledged: string[] = [];
        let next = 0;
        const client = async () => {
          while (next < emails.length) {
            const email = emails[next++]!;
            try {
              const res = await rawCall(service.url, unsubscribe(email));
              if (res.status === 200 && /<status>UPDATED</.test(res.body)) acknowledged.push(email);
            } catch {
              return; // the connection died with the process
            }
          }
        };
        const clients = Array.from({ length: 12 }, client);
        for (let waited = 0; acknowledged.length < 30 && waited < 60000; waited += 10) {
          await new Promise((r) => setTimeout(r, 10));
        }
        service.child.kill('SIGKILL');
        await Promise.all(clients);
        await service.exited;
        expect(acknowledged.length).to.be.at.least(30);
        const database = openDatabase({
          databaseUrl: db.env.DATABASE_URL ?? '',
          dataDir: db.env.DATA_DIR ?? '',
          sqliteBusyTimeoutMs: 5000,
          dbPoolMax: 2,
        });
        try {
          const people = (await database
            .knex('leads')
            .whereIn('email', acknowledged)
            .select('email', 'unsubscribed')) as Array<{ email: string; unsubscribed: unknown }>;
          expect(people.filter((p) => Boolean(p.unsubscribed)).map((p) => p.email)).to.have.members(
            acknowledged,
          );
          const masters = (await database
            .knex('email_status')
            .whereIn('email_key', acknowledged)
            .where('unsubscribed', true)
            .count({ n: '*' })) as Array<{ n: number | string }>;
          expect(Number(masters[0]?.n)).to.equal(acknowledged.length);
        } finally {
          await database.close();
        }
      } finally {
        await db.drop();
      }
    });

    it('SIGTERM finishes the call in flight, stops accepting and exits 0', async () => {
      const db = await freshServiceDatabase(engine);
      try {
        const service = await spawnService(db.env);
        const inFlight = rawCall(service.url, bulk(1, 300));
        await new Promise((r) => setTimeout(r, 30));
        service.child.kill('SIGTERM');
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
      } finally {
        await db.drop();
      }
    });
  });
}
