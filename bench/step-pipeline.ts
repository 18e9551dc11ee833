/**
 * One-step units (writeStep) against plain units (write) of the same work, in one process and
 * one build, rounds alternating: `concurrency` callers each loop on a one-click unsubscribe of
 * a new address, and after each answer keep the main thread busy `busyMicros` (what parsing
 * and answering the HTTP request costs there). Wall-clock calls per second and the main
 * thread's CPU per call, medians of rounds.
 *
 *   node --import tsx bench/step-pipeline.ts [rounds] [seconds per round] [concurrency] [busyMicros]
 */
import fs from 'node:fs';
import { UnitOfWork } from '../src/data-access/unit-of-work.js';
import type { EmailStatusRecord, PropagationActivity } from '../src/domain/records.js';
import { testEngines } from '../test/support/database.js';

const rounds = Number(process.argv[2] ?? 4);
const seconds = Number(process.argv[3] ?? 2);
const concurrency = Number(process.argv[4] ?? 10);
const busyMicros = Number(process.argv[5] ?? 500);

const mainCpu = () =>
  Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
const spin = (micros: number) => {
  const end = performance.now() + micros / 1000;
  while (performance.now() < end);
};

const activity: PropagationActivity = {
  attributeName: 'Unsubscribed',
  reason: 'propagated',
  source: 'Unsubscribe link',
  actor: 'link bench',
  causeLeadId: null,
};
const statusOf = (key: string, at: number): EmailStatusRecord => ({
  emailKey: key,
  unsubscribed: true,
  reason: null,
  source: 'Unsubscribe link (link bench)',
  leadId: null,
  changedAt: at,
});

const made = await testEngines()
  .find((e) => e.name === 'sqlite')!
  .create();
const uow = new UnitOfWork(made.db);
let next = 0;

async function round(step: boolean): Promise<{ perSecond: number; cpu: number }> {
  const end = Date.now() + seconds * 1000;
  let calls = 0;
  const cpu0 = mainCpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const key = `n${next++}@pipeline.example`;
        const work = (r: Parameters<Parameters<UnitOfWork['write']>[0]>[0]) =>
          r.leads.unsubscribeAddressOnce(statusOf(key, Date.now()), activity);
        await (step ? uow.writeStep(work) : uow.write(work));
        calls++;
        spin(busyMicros);
        // Other callers' answers and requests come between.
        await new Promise((r) => setImmediate(r));
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  return { perSecond: calls / wall, cpu: (mainCpu() - cpu0) / calls };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = {
  write: [] as Array<{ perSecond: number; cpu: number }>,
  writeStep: [] as Array<{ perSecond: number; cpu: number }>,
};
await round(true); // warm-up
for (let i = 0; i < rounds; i++) {
  results.write.push(await round(false));
  results.writeStep.push(await round(true));
}
for (const [name, rs] of Object.entries(results))
  console.log(
    `${name.padEnd(10)} ${median(rs.map((r) => r.perSecond))
      .toFixed(0)
      .padStart(6)} calls/s  main thread CPU ${median(rs.map((r) => r.cpu)).toFixed(
      0,
    )} µs/call  rounds ${rs.map((r) => r.perSecond.toFixed(0)).join(' ')}`,
  );
await made.drop();
