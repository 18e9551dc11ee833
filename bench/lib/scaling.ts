/**
 * The scaling curves: one unsubscribe as its address is shared by more people, and one page of
 * activities as a lead's history, the page's depth and the whole table grow. Calls one at a
 * time, each timed by the client.
 */
import type { Database } from '../../src/data-access/database.js';
import { round, type EngineReport, type ScalingPoint, type Sizes } from './figures.js';
import { median } from './load.js';
import { addActivities, createPeople, refreshStatistics } from './seed.js';
import { call, envelope, getLeadActivity, post, syncLead } from './soap.js';

async function timed(url: string, operation: string, bodyXml: string): Promise<number> {
  const r = await post(url, operation, envelope(bodyXml));
  if (r.status !== 200) throw new Error(`${operation}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r.ms;
}

export interface ScalingRun {
  url: string;
  engineName: string;
  sizes: Sizes;
  seedDb: Database;
  /** People whose activities grow the table (the getLead scenario's pool). */
  tablePeople: readonly number[];
  /** PostgreSQL: vacuum too where statistics are refreshed (bench/run.ts's `vacuum`). */
  vacuum?: boolean;
  log: (line: string) => void;
}

export async function measureScaling(run: ScalingRun): Promise<EngineReport['scaling']> {
  const { url, sizes, seedDb, log } = run;
  // --- Scaling: one unsubscribe as the address is shared by more people -------------------
  const unsubscribeBySharing: ScalingPoint[] = [];
  const resubscribeBySharing: ScalingPoint[] = [];
  for (const n of sizes.sharing) {
    const ids = await createPeople(
      url,
      Array.from({ length: n }, (_, p) => ({
        email: `share-${n}@bench.example`,
        attrs: { FirstName: `S${p}` },
      })),
    );
    // As autovacuum would within a minute: the planner sees the address's n people, and the
    // earlier sizes' flips have left no dead versions behind.
    if (run.engineName === 'postgres')
      await refreshStatistics(seedDb, { vacuum: run.vacuum !== false });
    const un: number[] = [];
    const re: number[] = [];
    // One untimed round first: the first change of a fresh address pays for cold caches.
    for (const flag of ['true', 'false'])
      await timed(url, 'syncLead', syncLead({ id: ids[0]!, attrs: { Unsubscribed: flag } }));
    for (let k = 0; k < sizes.sharingRepeats; k++) {
      const who = ids[k % ids.length]!;
      un.push(await timed(url, 'syncLead', syncLead({ id: who, attrs: { Unsubscribed: 'true' } })));
      re.push(
        await timed(url, 'syncLead', syncLead({ id: who, attrs: { Unsubscribed: 'false' } })),
      );
    }
    unsubscribeBySharing.push({ x: n, ms: round(median(un)) });
    resubscribeBySharing.push({ x: n, ms: round(median(re)) });
    log(`[${run.engineName}] unsubscribe shared by ${n}: ${round(median(un))} ms`);
  }

  // --- Scaling: getLeadActivity as one lead's history grows --------------------------------
  const pageTime = async (leadId: number, offset?: number) => {
    const xs: number[] = [];
    for (let k = 0; k < sizes.pageSamples; k++)
      xs.push(await timed(url, 'getLeadActivity', getLeadActivity(leadId, offset)));
    return round(median(xs));
  };
  const historyLeads = await createPeople(
    url,
    sizes.historyCounts.map((c) => ({ email: `history-${c}@bench.example` })),
  );
  const pageByHistory: ScalingPoint[] = [];
  for (const [i, count] of sizes.historyCounts.entries()) {
    await addActivities(seedDb, [historyLeads[i]!], count - 1); // plus its New Lead
    const first = await call(url, 'getLeadActivity', getLeadActivity(historyLeads[i]!));
    const remaining = Number(/<remainingCount>(\d+)</.exec(first.body)?.[1] ?? -1);
    pageByHistory.push({
      x: count,
      ms: await pageTime(historyLeads[i]!),
      extra: { remaining },
    });
    log(
      `[${run.engineName}] page of a lead with ${count} activities: ${pageByHistory.at(-1)!.ms} ms`,
    );
  }

  // --- Scaling: deep pages of the longest history (keyset paging) -------------------------
  const longest = historyLeads[historyLeads.length - 1]!;
  const pageTimes: number[] = [];
  let offset: number | undefined;
  for (;;) {
    const r = await post(url, 'getLeadActivity', envelope(getLeadActivity(longest, offset)));
    if (r.status !== 200) throw new Error(`paging: ${r.body.slice(0, 300)}`);
    const returned = Number(/<returnCount>(\d+)</.exec(r.body)?.[1] ?? 0);
    if (returned === 0) break;
    // Full pages only: the last, short page would flatter the curve.
    if (returned === 100) pageTimes.push(r.ms);
    offset = Number(/<offset>ID:(\d+)</.exec(r.body)?.[1]);
  }
  const pageByDepth: ScalingPoint[] = [];
  for (let depth = 1; depth <= pageTimes.length; depth *= 10) {
    const around = pageTimes.slice(depth - 1, depth - 1 + 10);
    pageByDepth.push({ x: depth, ms: round(median(around)) });
  }
  if (pageByDepth.at(-1)?.x !== pageTimes.length)
    pageByDepth.push({ x: pageTimes.length, ms: round(median(pageTimes.slice(-10))) });

  // --- Scaling: the same page as the whole table grows ------------------------------------
  const pageByTableSize: ScalingPoint[] = [];
  const tableSize = async () => {
    // The whole log: whole activities and a propagation's followers (the view of both).
    const [row] = (await seedDb.knex('activity_log').count({ n: '*' })) as Array<{ n: number }>;
    return Number(row?.n ?? 0);
  };
  const reference = historyLeads[sizes.historyCounts.indexOf(100)] ?? historyLeads[0]!;
  pageByTableSize.push({ x: await tableSize(), ms: await pageTime(reference) });
  let added = 0;
  for (const target of sizes.tableGrowth) {
    await addActivities(seedDb, run.tablePeople, target - added);
    added = target;
    pageByTableSize.push({ x: await tableSize(), ms: await pageTime(reference) });
    log(
      `[${run.engineName}] page with ${pageByTableSize.at(-1)!.x} activities in the table: ${pageByTableSize.at(-1)!.ms} ms`,
    );
  }

  return {
    unsubscribeBySharing,
    resubscribeBySharing,
    pageByHistory,
    pageByDepth,
    pageByTableSize,
  };
}
