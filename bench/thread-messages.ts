/**
 * CPU per call of the SQLite write paths and getLead, in one process, and how many messages
 * cross to the SQLite threads per call: the main thread's CPU time (Linux schedstat) and the
 * process's (every thread) per call, medians of rounds. For A/B runs of two builds
 * alternately on a shared machine, where throughput means nothing.
 *
 *   node --import tsx bench/thread-messages.ts [rounds] [calls per round] [scenario…]
 *
 * Scenarios (all by default): unsubscribe, unsubscribe-email, one-click, getLead, batch. Under
 * `node --cpu-prof` each thread (the SQLite threads too) writes a profile of its own.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ChangePaths } from '../src/domain/change-paths.js';
import { createServices } from '../src/compose.js';
import { testEngines } from '../test/support/database.js';

const rounds = Number(process.argv[2] ?? 5);
const calls = Number(process.argv[3] ?? 200);
const only = new Set(process.argv.slice(4));
const runs = (scenario: string) => only.size === 0 || only.has(scenario);
const CONCURRENCY = 8;
const web = ChangePaths.webService();

let messages = 0;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
  messages++;
  return post.apply(this, args);
};

/** CPU time of one thread of this process, in µs (Linux: the scheduler's figure). */
function threadCpu(tid: string | number): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8');
    return Number(stat.split(' ')[0]) / 1000;
  } catch {
    return 0; // the thread ended meanwhile
  }
}

/** CPU time of the main thread alone, in µs. */
const mainThreadCpu = () => threadCpu(process.pid);

/** CPU time of every thread but the main one, by thread id. */
function otherThreadsCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task'))
    if (tid !== String(process.pid)) cpu.set(tid, threadCpu(tid));
  return cpu;
}

/**
 * The busiest other thread's CPU in a round: the SQLite thread that served it (the writer for
 * writes, a reader for getLead), whatever its id.
 */
function busiestThread(before: Map<string, number>): number {
  let most = 0;
  for (const [tid, cpu] of otherThreadsCpu()) most = Math.max(most, cpu - (before.get(tid) ?? 0));
  return most;
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
  const thread: number[] = [];
  let next = 0;
  for (let r = 0; r < rounds; r++) {
    const jobs = Array.from({ length: calls }, () => make(next++));
    const main = mainThreadCpu();
    const others = otherThreadsCpu();
    const c = process.cpuUsage();
    const m = messages;
    let i = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (i < jobs.length) await jobs[i++]!();
      }),
    );
    const mainUsed = mainThreadCpu() - main;
    thread.push(busiestThread(others) / calls);
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
      .padStart(5)} µs/call  SQLite thread CPU ${median(thread)
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
// For a profiler attached now (perf record -p): what follows is the measured part.
process.stderr.write(`seeded; measuring (pid ${process.pid})\n`);
if (runs('unsubscribe'))
  await measure(
    'syncLead unsubscribe (11)',
    (i) => () => services.leads.setUnsubscribed(firsts[i]!, true, web),
  );
if (runs('unsubscribe-email'))
  // As the benchmark's syncLeadUnsubscribe: by address, each address's flag alternating (the
  // warm-up left them unsubscribed), so half the calls are re-subscribes.
  await measure('syncLead by email (11)', (i) => () => {
    const visit = Math.floor(i / warm.length);
    return services.leads.sync(
      {
        email: `a${i % warm.length}@bench.example`,
        attributes: [{ name: 'Unsubscribed', value: String(visit % 2 === 1) }],
      },
      { path: web },
    );
  });
if (runs('one-click'))
  await measure(
    'one-click (new address)',
    (i) => () =>
      services.links.unsubscribe({ email: `new${i}@oneclick.example`, linkId: 'l', list: null }),
  );
if (runs('getLead'))
  await measure(
    'getLead by email',
    (i) => () => services.leads.find({ keyType: 'EMAIL', keyValue: `a${i % 500}@bench.example` }),
  );
const BATCH = 300;
const batchCalls = Math.max(1, Math.floor(calls / 20));
if (runs('batch'))
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
