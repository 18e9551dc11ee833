/**
 * How long the next SQLite group gathers units, under the benchmark's syncLeadUnsubscribe (an
 * address of 11 people: 10 follow), 10 callers in one process: A hands the file to the next
 * group once the steps' answers are here (the old way), B lets the next group take in every
 * unit that comes until the group ahead of it has its COMMIT answered (as shipped). Each side has a
 * database of its own, seeded alike; rounds of syncLead by address, each address's flag
 * alternating, alternate between A and B, the order swapped each round. Per round and side:
 * wall time and the process's CPU per call, and calls per COMMIT (group size).
 *
 *   node --import tsx bench/group-gather-ab.ts [rounds] [calls] [in flight] [warm-up rounds]
 */
import type { Knex } from 'knex';
import { joinLate } from '../src/data-access/sqlite-late-joiners.js';
import {
  interleaved,
  median,
  ratioMedians,
  seededSqlite,
  syncLeadRounds,
} from './lib/sync-lead-ab.js';

const [rounds, calls, inFlight, warmUps] = [10, 1000, 10, 1].map((fallback, i) =>
  Number(process.argv[2 + i] ?? fallback),
) as [number, number, number, number];

async function side(name: string, gather: boolean) {
  // COMMITs counted where they are posted: one per group.
  let commits = 0;
  const db = await seededSqlite('du-gather-ab-', 10000, (database) => {
    const client = database.knex.client as Knex.Client & { query(c: unknown, q: unknown): unknown };
    const query = client.query.bind(client);
    client.query = (c: unknown, q: unknown) => {
      const sql = typeof q === 'string' ? q : (q as { sql?: string } | null)?.sql;
      if (typeof sql === 'string' && /^\s*COMMIT/i.test(sql)) commits++;
      return query(c, q);
    };
  });
  // Callers answered in one turn of the event loop: one group's (settled together).
  const groupSizes = new Map<number, number>();
  let answered = 0;
  const seen = () => {
    if (answered++ > 0) return;
    setImmediate(() => {
      groupSizes.set(answered, (groupSizes.get(answered) ?? 0) + 1);
      answered = 0;
    });
  };
  const timed = syncLeadRounds(db.services, calls, inFlight, seen);
  return {
    ...db,
    name,
    groupSizes,
    async round() {
      joinLate(gather);
      const c0 = commits;
      const cost = await timed();
      return { ...cost, perCommit: calls / (commits - c0) };
    },
  };
}

const A = await side('A', false);
const B = await side('B', true);
console.log(
  `A: handed on at the steps' answers, B: gathering behind COMMIT; ${calls} calls a round, ${inFlight} in flight`,
);
const figures = await interleaved(
  { A: A.round, B: B.round },
  rounds,
  warmUps,
  (a, b) => `calls a COMMIT ${a.perCommit.toFixed(2)} / ${b.perCommit.toFixed(2)};`,
);
console.log(
  `${ratioMedians(figures)};` +
    ` calls a COMMIT ${median(figures.map(([a]) => a.perCommit)).toFixed(2)}` +
    ` / ${median(figures.map(([, b]) => b.perCommit)).toFixed(2)}`,
);
for (const s of [A, B])
  console.log(
    `${s.name}: callers answered together (size×times) ` +
      [...s.groupSizes.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([size, n]) => `${size}×${n}`)
        .join(' '),
  );
await A.end();
await B.end();
