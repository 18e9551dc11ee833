/**
 * What the in-process A/B benches of the benchmark's syncLeadUnsubscribe share: a SQLite
 * database of each side's own, seeded alike; a round of syncLead calls by address, each
 * address's flag alternating; and rounds that alternate between A and B, the order swapped
 * each round, with the per-round ratios B / A (for a shared machine: read those).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices } from '../../src/compose.js';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { migrateLatest } from '../../src/data-access/migrator.js';
import type { Services } from '../../src/domain/services.js';

/** Addresses seeded, 11 people each (10 follow when one's flag changes). */
export const ADDRESSES = 400;
const PEOPLE_PER_ADDRESS = 11;
const web = ChangePaths.webService();

/** The upper median (of an even count, the higher of the middle two). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface SeededSqlite {
  services: Services;
  dataDir: string;
  end(): Promise<void>;
}

/**
 * A SQLite file in a temporary folder, migrated and seeded with ADDRESSES addresses of 11
 * people. `prepare` sees the database before the services are made (to count its statements).
 */
export async function seededSqlite(
  tmpPrefix: string,
  walAutocheckpointPages: number,
  prepare?: (db: Database) => void,
): Promise<SeededSqlite> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const db = openDatabase({
    databaseUrl: '',
    dataDir,
    sqliteBusyTimeoutMs: 10000,
    sqliteWalAutocheckpointPages: walAutocheckpointPages,
    dbPoolMax: 1,
  });
  await migrateLatest(db);
  prepare?.(db);
  const services = createServices(db, { customFields: [], defaultPartition: 'Default' }, {});
  for (let start = 0; start < ADDRESSES; start += 25) {
    const inputs = [];
    for (let a = start; a < start + 25; a++)
      for (let p = 0; p < PEOPLE_PER_ADDRESS; p++)
        inputs.push({
          email: `a${a}@bench.example`,
          attributes: [{ name: 'FirstName', value: `P${p}` }],
        });
    await services.leads.syncMany(inputs, { path: web, matchByEmail: false });
  }
  return {
    services,
    dataDir,
    async end() {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Per call, in µs: wall time and the process's CPU (every thread's). */
export interface CallCost {
  wall: number;
  cpu: number;
}

/**
 * Rounds of `calls` syncLead calls by address, `inFlight` at once, each round going on where
 * the one before stopped; an address's flag alternates with each pass over the addresses (half
 * the calls re-subscribe). `answered` hears each call's answer.
 */
export function syncLeadRounds(
  services: Services,
  calls: number,
  inFlight: number,
  answered?: () => void,
): () => Promise<CallCost> {
  let visits = 0;
  return async () => {
    const first = visits;
    visits += calls;
    let i = 0;
    const t0 = process.hrtime.bigint();
    const c = process.cpuUsage();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (i < calls) {
          const k = first + i++;
          const flag = Math.floor(k / ADDRESSES) % 2 === 0;
          await services.leads.sync(
            {
              email: `a${k % ADDRESSES}@bench.example`,
              attributes: [{ name: 'Unsubscribed', value: String(flag) }],
            },
            { path: web },
          );
          answered?.();
        }
      }),
    );
    const d = process.cpuUsage(c);
    const wall = Number(process.hrtime.bigint() - t0) / 1000 / calls;
    return { wall, cpu: (d.user + d.system) / calls };
  };
}

/**
 * `warmUps` untimed rounds of each, then `rounds` rounds alternating between A and B, the order
 * swapped each round. Logs a line a round (`more`: what a side adds to it) and the medians of
 * the ratios; gives each round's figures, A's then B's.
 */
export async function interleaved<R extends CallCost>(
  sides: { A: () => Promise<R>; B: () => Promise<R> },
  rounds: number,
  warmUps: number,
  more: (a: R, b: R) => string,
): Promise<Array<[R, R]>> {
  const { A, B } = sides;
  for (let w = 0; w < warmUps; w++) for (const round of [A, B]) await round();
  const figures: Array<[R, R]> = [];
  for (let r = 0; r < rounds; r++) {
    const ab = r % 2 === 0;
    const first = await (ab ? A : B)();
    const second = await (ab ? B : A)();
    const [a, b] = ab ? [first, second] : [second, first];
    figures.push([a, b]);
    console.log(
      `round ${r} ${ab ? 'AB' : 'BA'}: µs a call wall ${a.wall.toFixed(0)} / ${b.wall.toFixed(0)}` +
        ` (×${(b.wall / a.wall).toFixed(3)}), CPU ${a.cpu.toFixed(0)} / ${b.cpu.toFixed(0)}` +
        ` (×${(b.cpu / a.cpu).toFixed(3)}); ${more(a, b)}` +
        ` load ${os.loadavg()[0]!.toFixed(1)}`,
    );
  }
  return figures;
}

/** The medians of the rounds' ratios B / A, and in how many rounds B was lower. */
export function ratioMedians(figures: Array<[CallCost, CallCost]>): string {
  const wall = figures.map(([a, b]) => b.wall / a.wall);
  const cpu = figures.map(([a, b]) => b.cpu / a.cpu);
  const lower = (xs: number[]) => xs.filter((x) => x < 1).length;
  return (
    `B / A medians: wall ×${median(wall).toFixed(3)} (B lower in ${lower(wall)} of ${figures.length}),` +
    ` CPU ×${median(cpu).toFixed(3)} (B lower in ${lower(cpu)} of ${figures.length})`
  );
}
