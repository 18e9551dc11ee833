/**
 * The WAL a PostgreSQL syncLead unsubscribe reaching 10 people writes, by record type and by
 * relation: a count that the load of a shared machine leaves alone, where CPU and wall time do
 * not. Each record of the server's WAL is one change a call made (a heap tuple, an index entry,
 * a lock, a page pruned), so the list says which of the call's rows and indexes cost what.
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/pg-wal-records.ts [calls] [concurrent] [SQL]
 *
 * A fresh database (dropped at the end) is seeded as bench/pg-calls.ts seeds it (300 people, and
 * 100 addresses of 11 people each), given `SQL` if any (statements separated by semicolons, each
 * alone: a table's storage changed and rewritten, an index dropped), vacuumed and analysed as bench/run.ts leaves it, warmed by
 * 2,000 unsubscribes (some twenty flips an address), then a CHECKPOINT, so that every run starts
 * at the same point of the full-page-image cycle (the first change of a page after a checkpoint
 * writes the whole page: the `fpi` column). Then `calls` unsubscribes, `concurrent` at a time,
 * and pg_walinspect (PostgreSQL 15's contrib; a superuser or pg_read_server_files) lists the
 * records written between the two insert positions. The server's WAL is shared by every database
 * on it: a record counts as this run's when one of its blocks is in this database, or when it is
 * the commit of a transaction whose own id wrote such a record (a group's steps write under their
 * savepoints' ids, so a grouped transaction's commit record, some 40 bytes, may be left out).
 */
import pg from 'pg';
import { postgresEngine } from '../test/support/database.js';
import { createServices } from '../src/compose.js';
import { ChangePaths } from '../src/domain/change-paths.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const calls = Number(process.argv[2] ?? 400);
const concurrent = Math.max(1, Number(process.argv[3] ?? 1));
const variant = process.argv[4];

interface WalRecord {
  xid: string;
  rm: string;
  rt: string;
  rl: string;
  fl: string;
  block_ref: string | null;
}

async function main(): Promise<void> {
  const made = await postgresEngine(url!).create();
  const monitor = new pg.Client({ connectionString: made.url });
  try {
    const services = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
    const web = ChangePaths.webService();
    for (let i = 0; i < 300; i++)
      await services.leads.sync(
        { email: `p-${i}@bench.example`, attributes: [{ name: 'FirstName', value: `F${i}` }] },
        { path: web, matchByEmail: false },
      );
    for (let i = 0; i < 1100; i++)
      await services.leads.sync(
        { email: `u-${i % 100}@bench.example` },
        { path: web, matchByEmail: false },
      );
    for (const statement of variant?.split(';') ?? [])
      if (statement.trim()) await made.db.knex.raw(statement);
    await made.db.knex.raw('VACUUM (ANALYZE)');
    let k = 0;
    const unsubscribe = () => {
      const j = k++;
      return services.leads.sync(
        {
          email: `u-${j % 100}@bench.example`,
          attributes: [{ name: 'Unsubscribed', value: String(Math.floor(j / 100) % 2 === 0) }],
        },
        { path: web },
      );
    };
    for (let i = 0; i < 2000; i++) await unsubscribe();
    await made.db.knex.raw('CHECKPOINT');

    await monitor.connect();
    await monitor.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const { oid } = (
      await monitor.query<{ oid: number }>(
        'SELECT oid FROM pg_database WHERE datname = current_database()',
      )
    ).rows[0]!;
    const lsn = async () =>
      (await monitor.query<{ l: string }>('SELECT pg_current_wal_insert_lsn() AS l')).rows[0]!.l;
    const from = await lsn();
    let left = calls;
    await Promise.all(
      Array.from({ length: concurrent }, async () => {
        while (left-- > 0) await unsubscribe();
      }),
    );
    const to = await lsn();

    const relations = new Map(
      (
        await monitor.query<{ f: string; relname: string }>(
          `SELECT pg_relation_filenode(c.oid)::text AS f, relname FROM pg_class c
            WHERE pg_relation_filenode(c.oid) IS NOT NULL`,
        )
      ).rows.map((r) => [r.f, r.relname]),
    );
    const records = (
      await monitor.query<WalRecord>(
        `SELECT xid::text, resource_manager AS rm, record_type AS rt, record_length AS rl,
                fpi_length AS fl, block_ref
           FROM pg_get_wal_records_info($1, $2)`,
        [from, to],
      )
    ).rows;
    const ours = (r: WalRecord) => r.block_ref?.includes(`/${oid}/`) ?? false;
    const writers = new Set(records.filter(ours).map((r) => r.xid));
    const byKind = new Map<string, { n: number; bytes: number; fpi: number }>();
    let total = { n: 0, bytes: 0, fpi: 0 };
    for (const r of records) {
      if (!ours(r) && !(r.rm === 'Transaction' && writers.has(r.xid))) continue;
      const node = /rel \d+\/\d+\/(\d+)/.exec(r.block_ref ?? '')?.[1];
      const kind = `${r.rm}/${r.rt} ${node === undefined ? '' : (relations.get(node) ?? node)}`;
      const sum = byKind.get(kind) ?? { n: 0, bytes: 0, fpi: 0 };
      sum.n++;
      sum.bytes += Number(r.rl);
      sum.fpi += Number(r.fl);
      byKind.set(kind, sum);
      total = { n: total.n + 1, bytes: total.bytes + Number(r.rl), fpi: total.fpi + Number(r.fl) };
    }
    const per = (x: number, digits = 0) => (x / calls).toFixed(digits);
    console.log(
      `${calls} unsubscribes reaching 10 people, ${concurrent} at a time: ${per(total.n, 1)} WAL records and ${per(total.bytes)} bytes a call, ${per(total.fpi)} of them full-page images; ${writers.size} transaction ids wrote (a step's savepoint has its own)`,
    );
    console.log(
      `${'record / relation'.padEnd(62)} ${'a call'.padStart(7)} ${'bytes'.padStart(7)} ${'fpi'.padStart(6)}`,
    );
    for (const [kind, sum] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes))
      console.log(
        `${kind.padEnd(62)} ${per(sum.n, 2).padStart(7)} ${per(sum.bytes).padStart(7)} ${per(sum.fpi).padStart(6)}`,
      );
  } finally {
    await monitor.end().catch(() => undefined);
    await made.drop();
  }
}

void main();
