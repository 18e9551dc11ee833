/**
 * The benchmark's "one unsubscribe as the address is shared by more people" curve alone, for
 * development: a few minutes instead of the full run's half hour.
 *
 *   node --import tsx bench/sharing.ts [--engines sqlite,postgres] [--sizes 1,1000,10000]
 *     [--repeats 9] [--from-source]
 *
 * Per engine: a fresh database and the built service (as bench/run.ts runs it), then for each
 * size the same steps as the full run's scaling part: that many people created on one address,
 * statistics refreshed (on PostgreSQL the database vacuumed too), one untimed unsubscribe and
 * re-subscribe, then `repeats` timed pairs through different people. Prints the medians, and each
 * size's ratio to the first.
 */
import { testEngines } from '../test/support/database.js';
import {
  buildService,
  freshServiceDatabase,
  spawnService,
} from '../test/support/service-process.js';
import { median } from './lib/load.js';
import { createPeople, openSeedDatabase, refreshStatistics } from './lib/seed.js';
import { closeAgent, envelope, post, syncLead } from './lib/soap.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sizes = (argValue('--sizes') ?? '1,1000,10000').split(',').map(Number);
const repeats = Number(argValue('--repeats') ?? 9);
const engineNames = argValue('--engines')?.split(',');
const fromSource = process.argv.includes('--from-source');

async function timed(url: string, id: number, flag: 'true' | 'false'): Promise<number> {
  const r = await post(url, 'syncLead', envelope(syncLead({ id, attrs: { Unsubscribed: flag } })));
  if (r.status !== 200) throw new Error(`syncLead: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r.ms;
}

async function main(): Promise<void> {
  if (!fromSource) buildService();
  for (const engine of testEngines()) {
    if (engineNames && !engineNames.includes(engine.name)) continue;
    const db = await freshServiceDatabase(engine);
    const seedDb = openSeedDatabase(db.env);
    const service = await spawnService(
      { ...db.env, LOG_LEVEL: 'warn', RATE_LIMIT_CALLS: '0' },
      { built: !fromSource },
    );
    try {
      const firsts: number[] = [];
      for (const n of sizes) {
        const ids = await createPeople(
          service.url,
          Array.from({ length: n }, (_, p) => ({
            email: `share-${n}@bench.example`,
            attrs: { FirstName: `S${p}` },
          })),
        );
        if (engine.name === 'postgres') await refreshStatistics(seedDb);
        for (const flag of ['true', 'false'] as const) await timed(service.url, ids[0]!, flag);
        const un: number[] = [];
        const re: number[] = [];
        for (let k = 0; k < repeats; k++) {
          const who = ids[k % ids.length]!;
          un.push(await timed(service.url, who, 'true'));
          re.push(await timed(service.url, who, 'false'));
        }
        const m = median(un);
        firsts.push(m);
        process.stdout.write(
          `[${engine.name}] ${n} people: unsubscribe ${m.toFixed(2)} ms ` +
            `(${(m / firsts[0]!).toFixed(1)}x of ${sizes[0]}), re-subscribe ${median(re).toFixed(2)} ms; ` +
            `unsubscribes ${un.map((x) => x.toFixed(1)).join(' ')}\n`,
        );
      }
    } finally {
      await service.stop();
      await seedDb.close();
      await db.drop();
    }
  }
  closeAgent();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  process.exitCode = 1;
});
