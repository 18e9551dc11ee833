/**
 * Where one unsubscribe reaching many people goes on PostgreSQL, below the SOAP layer: people
 * created on one address, then syncLead by Id flips of one of them (unsubscribe, re-subscribe),
 * as the benchmark's sharing curve makes them. Per call: wall time, this process's CPU, the
 * CPU of the PostgreSQL backends serving it (/proc/<pid>/schedstat: the server on this host), the
 * WAL it wrote, its round trips, and whether it was written as a checked step or under locks.
 * In a fresh database of its own (dropped at the end).
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/pg-sharing-cost.ts [people] [flips]
 *     [variant SQL]
 *
 * With a variant (SQL run once after seeding, e.g. an index made partial) a second database
 * (B) takes it, and the flips alternate between A (as migrated) and B, the order swapped each
 * round: an interleaved A/B of the cost per call.
 * Medians of the unsubscribes only (the benchmark times those). CPU per call, WAL and round
 * trips hold on a shared machine; wall time does not.
 * PG_SHARING_WAL=1: after each unsubscribe, its WAL records by type and relation (pg_walinspect,
 * created in the fresh database; the cluster's records, so other work on it shows too).
 */
import fs from 'node:fs';
import pg from 'pg';
import { postgresEngine } from '../test/support/database.js';
import { watchPgMessages } from '../test/support/pg-messages.js';
import { createServices } from '../src/compose.js';
import { ChangePaths } from '../src/domain/change-paths.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const people = Number(process.argv[2] ?? 10000);
const flips = Number(process.argv[3] ?? 9);
const variant = process.argv[4];
const walRecords = process.env.PG_SHARING_WAL === '1';

const messages = watchPgMessages().texts;
/** CPU time of these processes in ns (/proc/<pid>/schedstat: time on a CPU, to the ns). */
function backendNs(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    try {
      t += Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // gone
    }
  }
  return t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Setup {
  label: string;
  drop(): Promise<void>;
  /** One timed flip of the next person: its figures. */
  flip(flag: boolean): Promise<Record<string, number | string>>;
  end(): Promise<void>;
}

/** A fresh database with `people` on one address (and `variant` run on it), ready to flip. */
async function setUp(label: string, sql: string | undefined): Promise<Setup> {
  const made = await postgresEngine(url!).create();
  const db = made.db;
  const paths: string[] = [];
  const services = createServices(
    db,
    { customFields: [], defaultPartition: 'Default' },
    { onCheckedWrite: (_op, how) => paths.push(how) },
  );
  const web = ChangePaths.webService();
  const ids: number[] = [];
  for (let i = 0; i < people; i += 300) {
    const answers = await services.leads.syncMany(
      Array.from({ length: Math.min(300, people - i) }, (_, p) => ({
        email: 'share@bench.example',
        attributes: [{ name: 'FirstName', value: `S${i + p}` }],
      })),
      { path: web, matchByEmail: false },
    );
    for (const a of answers) if (!(a instanceof Error)) ids.push(a.leadId);
  }
  if (sql) await db.knex.raw(sql);
  await db.knex.raw('ANALYZE');
  const monitor = new pg.Client({ connectionString: made.url });
  await monitor.connect();
  if (walRecords) await monitor.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
  const pids = async () =>
    (
      await monitor.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid);
  const lsn = async () =>
    BigInt(
      (await monitor.query<{ b: string }>("SELECT pg_current_wal_lsn() - '0/0' AS b")).rows[0]!.b,
    );
  /** The records between two WAL offsets, by type and relation, largest first. */
  const printWalRecords = async (from: bigint, to: bigint) => {
    const { rows } = await monitor.query<Record<string, string | number>>(
      `SELECT record_type AS type,
              coalesce(pg_filenode_relation(0, (regexp_match(block_ref, 'rel \\d+/\\d+/(\\d+)'))[1]::oid)::text, '-') AS rel,
              count(*) AS n, sum(record_length) AS bytes, sum(fpi_length) AS fpi
         FROM pg_get_wal_records_info('0/0'::pg_lsn + $1::numeric, '0/0'::pg_lsn + $2::numeric)
        GROUP BY 1, 2 ORDER BY sum(record_length) DESC`,
      [from.toString(), to.toString()],
    );
    for (const r of rows)
      console.log(
        `${label}   ${String(r.type).padEnd(14)} ${String(r.rel).padEnd(32)} ${String(r.n).padStart(6)} records ${String(r.bytes).padStart(9)} B (FPI ${r.fpi})`,
      );
  };
  const change = (id: number, flag: boolean) =>
    services.leads.sync(
      { id, attributes: [{ name: 'Unsubscribed', value: String(flag) }] },
      { path: web },
    );
  // One untimed round first, as the benchmark does.
  await change(ids[0]!, true);
  await change(ids[0]!, false);
  let k = 0;
  return {
    label,
    drop: async () => {
      // KEEP=1: left for EXPLAIN by hand; its name is printed.
      if (process.env.KEEP) console.log(`${label}: kept ${made.url}`);
      else await made.drop();
    },
    end: () => monitor.end(),
    async flip(flag) {
      const backends = await pids();
      const w0 = await lsn();
      const b0 = backendNs(backends);
      const c0 = process.cpuUsage();
      const s0 = messages.length;
      const p0 = paths.length;
      const t0 = process.hrtime.bigint();
      await change(ids[(Math.floor(k++ / 2) * 7 + 1) % ids.length]!, flag);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const c1 = process.cpuUsage(c0);
      // The service's messages only: the monitor's queries below go through pg too.
      const trips = messages.length - s0;
      // A connection opened during the call: all its time is the call's.
      const born = (await pids()).filter((pid) => !backends.includes(pid));
      const b1 = backendNs(backends) + backendNs(born);
      const w1 = await lsn();
      if (walRecords && flag) await printWalRecords(w0, w1);
      return {
        label,
        flag: String(flag),
        ms,
        nodeMs: (c1.user + c1.system) / 1000,
        serverMs: (b1 - b0) / 1e6,
        // The server's WAL of the whole cluster: other work on it counts too.
        walMB: Number(w1 - w0) / 1e6,
        trips,
        path: paths.slice(p0).join(',') || 'plain',
      };
    },
  };
}

async function main(): Promise<void> {
  const setups = [await setUp('A', undefined)];
  if (variant !== undefined) setups.push(await setUp('B', variant));
  const rows: Array<Record<string, number | string>> = [];
  try {
    for (let k = 0; k < flips; k++) {
      // Interleaved, the order alternated: A B, B A, …
      const order = k % 2 === 0 ? setups : [...setups].reverse();
      for (const setup of order)
        for (const flag of [true, false]) rows.push(await setup.flip(flag));
    }
  } finally {
    for (const setup of setups) {
      await setup.end();
      await setup.drop();
    }
  }
  for (const r of rows)
    console.log(
      `${r.label} ${String(r.flag).padEnd(5)} ${Number(r.ms).toFixed(1).padStart(7)} ms  node ${Number(r.nodeMs).toFixed(1).padStart(6)}  server ${Number(r.serverMs).toFixed(1).padStart(6)}  WAL ${Number(r.walMB).toFixed(2)} MB  trips ${r.trips}  ${r.path}`,
    );
  for (const { label } of setups) {
    const un = rows.filter((r) => r.flag === 'true' && r.label === label);
    const col = (name: string) => median(un.map((r) => Number(r[name])));
    const mean = (name: string) => un.reduce((n, r) => n + Number(r[name]), 0) / un.length;
    console.log(
      `${label}: unsubscribes (${people} people, ${un.length} calls), medians: ${col('ms').toFixed(1)} ms, node ${col('nodeMs').toFixed(1)} ms, server ${col('serverMs').toFixed(1)} ms, WAL ${col('walMB').toFixed(2)} MB; means: ${mean('ms').toFixed(1)} ms, node ${mean('nodeMs').toFixed(1)} ms, server ${mean('serverMs').toFixed(1)} ms`,
    );
  }
}

void main();
