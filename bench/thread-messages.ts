/**
 * CPU per call of the SQLite write paths and getLead, in one process, and how many messages
 * cross to the SQLite threads per call: the main thread's CPU time (Linux schedstat) and the
 * process's (every thread) per call, medians of rounds. For A/B runs of two builds
 * alternately on a shared machine, where throughput means nothing.
 *
 *   node --import tsx bench/thread-messages.ts [rounds] [calls per round]
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ChangePaths } from '../src/domain/change-paths.js';
import { createServices } from '../src/compose.js';
import { testEngines } from '../test/support/database.js';

const rounds = Number(process.argv[2] ?? 5);
const calls = Number(process.argv[3] ?? 200);
const CONCURRENCY = 8;
const web = ChangePaths.webService();

let messages = 0;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
  messages++;
  return post.apply(this, args);
};

/** CPU time of the main thread alone, in µs (Linux: the scheduler's figure for the thread). */
function mainThreadCpu(): number {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
  return Number(stat.split(' ')[0]) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(name: string, make: (i: number) => () => Promise<unknown>) {
  return measureCalls(name, calls, make);
}

async function measureCalls(
  name: string,
  calls: number,
  make: (i: number) => () => Promise<unknown>,
) {
  const busy: number[] = [];
  const cpu: number[] = [];
  const sent: number[] = [];
  let next = 0;
  for (let r = 0; r < rounds; r++) {
    const jobs = Array.from({ length: calls }, () => make(next++));
    const main = mainThreadCpu();
    const c = process.cpuUsage();
    const m = messages;
    let i = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (i < jobs.length) await jobs[i++]!();
      }),
    );
    const mainUsed = mainThreadCpu() - main;
    const d = process.cpuUsage(c);
    busy.push(mainUsed / calls);
    cpu.push((d.user + d.system) / calls);
    sent.push((messages - m) / calls);
  }
  console.log(
    `${name.padEnd(28)} main thread CPU ${median(busy).toFixed(0).padStart(5)} µs/call  process CPU ${median(
      cpu,
    )
      .toFixed(0)
      .padStart(5)} µs/call  messages ${median(sent).toFixed(1)}/call`,
  );
}

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;
const made = await sqlite.create();
const services = createServices(made.db, { customFields: [], defaultPartition: 'Default' }, {});
const total = rounds * calls + 50;
const firsts: number[] = [];
for (let start = 0; start < total; start += 25) {
  const inputs = [];
  for (let a = start; a < Math.min(total, start + 25); a++)
    for (let p = 0; p < 11; p++)
      inputs.push({
        email: `a${a}@bench.example`,
        attributes: [{ name: 'FirstName', value: `P${p}` }],
      });
  const results = await services.leads.syncMany(inputs, { path: web, matchByEmail: false });
  for (let k = 0; k < results.length; k += 11)
    firsts.push((results[k] as { leadId: number }).leadId);
}
const warm = firsts.splice(0, 50);
for (const id of warm) await services.leads.setUnsubscribed(id, true, web);
await measure(
  'syncLead unsubscribe (11)',
  (i) => () => services.leads.setUnsubscribed(firsts[i]!, true, web),
);
await measure(
  'one-click (new address)',
  (i) => () =>
    services.links.unsubscribe({ email: `new${i}@oneclick.example`, linkId: 'l', list: null }),
);
await measure(
  'getLead by email',
  (i) => () => services.leads.find({ keyType: 'EMAIL', keyValue: `a${i % 500}@bench.example` }),
);
const BATCH = 300;
const batchCalls = Math.max(1, Math.floor(calls / 20));
await measureCalls(
  'syncMultipleLeads (300, update)',
  batchCalls,
  (i) => () =>
    services.leads.syncMany(
      Array.from({ length: BATCH }, (_, k) => ({
        email: `a${(i * BATCH + k) % total}@bench.example`,
        attributes: [{ name: 'LastName', value: `L${i}` }],
      })),
      { path: web },
    ),
);
await made.drop();
