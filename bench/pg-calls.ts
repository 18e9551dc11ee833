/**
 * PostgreSQL cost of the hot calls, below the SOAP layer: for each scenario, the round trips
 * per call (messages sent by pg's client) and the CPU per call of this process and of the
 * PostgreSQL backends serving it (/proc/<pid>/stat: the server on this host), calls made one
 * after the other (or `concurrent` at a time: what one process of the service sees under
 * load, where its one-click steps share transactions), in a fresh database of its own
 * (dropped at the end).
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/pg-calls.ts [calls per scenario] [scenario]
 *     [concurrent]
 *
 * Throughput is meaningless on a shared machine; CPU per call and round trips are not.
 */
import fs from 'node:fs';
import pg from 'pg';
import { postgresEngine } from '../test/support/database.js';
import { watchPgMessages } from '../test/support/pg-messages.js';
import { createServices } from '../src/compose.js';
import { ChangePaths } from '../src/domain/change-paths.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const calls = Number(process.argv[2] ?? 2000);
const only = process.argv[3];
const concurrent = Math.max(1, Number(process.argv[4] ?? 1));

/** `calls` calls of `run`, `concurrent` at a time. */
async function callMany(run: () => Promise<unknown>, count: number): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: concurrent }, async () => {
      while (left-- > 0) await run();
    }),
  );
}

// Every message pg's clients send (a round trip each), counted for the whole run.
const messages = watchPgMessages().texts;

const TICK_US = 1e6 / 100; // CLK_TCK

function backendTicks(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      // gone
    }
  }
  return t;
}

async function main(): Promise<void> {
  const made = await postgresEngine(url!).create();
  const db = made.db;
  const services = createServices(db, { customFields: [], defaultPartition: 'Default' });
  const web = ChangePaths.webService();
  const n = 300;
  for (let i = 0; i < n; i++)
    await services.leads.sync(
      {
        email: `p-${i}@bench.example`,
        attributes: [
          { name: 'FirstName', value: `First${i}` },
          { name: 'LastName', value: 'Bench' },
          { name: 'Company', value: 'Bench Corp' },
        ],
      },
      { path: web, matchByEmail: false },
    );
  for (let i = 0; i < 1100; i++)
    await services.leads.sync(
      { email: `u-${i % 100}@bench.example` },
      { path: web, matchByEmail: false },
    );
  // As bench/run.ts does after seeding (autovacuum may be off on a test server).
  await db.knex.raw('ANALYZE');
  const monitor = new pg.Client({ connectionString: made.url });
  await monitor.connect();
  const pids = async () =>
    (
      await monitor.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid);

  let i = 0;
  const scenarios: Record<string, () => Promise<unknown>> = {
    getLead: () =>
      services.leads.find({ keyType: 'EMAIL', keyValue: `p-${i++ % n}@bench.example` }, 100),
    syncLeadNoChange: () => {
      const k = i++ % n;
      return services.leads.sync(
        {
          email: `p-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: `First${k}` },
            { name: 'LastName', value: 'Bench' },
            { name: 'Company', value: 'Bench Corp' },
          ],
        },
        { path: web },
      );
    },
    syncLeadUnsubscribe: () => {
      const k = i++;
      return services.leads.sync(
        {
          email: `u-${k % 100}@bench.example`,
          attributes: [{ name: 'Unsubscribed', value: String(Math.floor(k / 100) % 2 === 0) }],
        },
        { path: web },
      );
    },
    // As bench/run.ts's: 300 people updated by address, a new first name each call.
    syncMultipleLeads: () => {
      const visit = i++;
      return services.leads.syncMany(
        Array.from({ length: n }, (_, k) => ({
          email: `p-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: `V${visit}` },
            { name: 'LastName', value: 'Bench' },
            { name: 'Company', value: 'Bench Corp' },
          ],
        })),
        { path: web },
      );
    },
    // Half the people updated by address, half new ones (a new address each call).
    syncMultipleLeadsMixed: () => {
      const visit = i++;
      return services.leads.syncMany(
        Array.from({ length: n }, (_, k) => ({
          email: k % 2 === 0 ? `p-${k}@bench.example` : `m-${visit}-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: `M${visit}` },
            { name: 'LastName', value: 'Bench' },
          ],
        })),
        { path: web },
      );
    },
    oneClick: () =>
      services.links.unsubscribe({
        email: `click-${process.pid}-${i++}@bench.example`,
        linkId: 'l1',
        list: null,
      }),
  };
  for (const [name, run] of Object.entries(scenarios)) {
    if (only && only !== name) continue;
    await callMany(run, Math.min(300, calls));
    const backends = await pids();
    const b0 = backendTicks(backends);
    const c0 = process.cpuUsage();
    const s0 = messages.length;
    await callMany(run, calls);
    const c1 = process.cpuUsage(c0);
    const b1 = backendTicks(backends);
    const node = (c1.user + c1.system) / calls;
    const server = ((b1 - b0) * TICK_US) / calls;
    console.log(
      `${name.padEnd(20)} round trips ${((messages.length - s0) / calls).toFixed(2)}  node ${node.toFixed(0)} µs  backend ${server.toFixed(0)} µs  total ${(node + server).toFixed(0)} µs per call`,
    );
  }
  await monitor.end();
  await made.drop();
}

void main();
