/**
 * Where a PostgreSQL syncMultipleLeads call (300 people updated by address, as in the bench)
 * spends the server's time, statement by statement: in a fresh database (BLOCKS blocks of 300
 * people, 24 by default; 50 batches of warm-up, then `VACUUM ANALYZE`), one call's messages are
 * captured as pg's client sends them and split into their statements; each round replays them
 * in a transaction rolled back, reading the backend's CPU around each from /proc.
 *
 *   DATABASE_URL=postgres://… node --import tsx bench/pg-batch-explain.ts [rounds]
 *
 * B_SQL=<sql>: side B runs it first in each of its transactions (a planner setting, `SET LOCAL
 * enable_hashjoin = off`, or DDL, `DROP INDEX …`, rolled back with the rest), A and B in turn,
 * the order swapped each round. ONLY=<n>: statement #n alone (its pid is printed, for `perf
 * record -p`). EXPLAIN=1: then each statement under `EXPLAIN (ANALYZE, BUFFERS, WAL)`.
 * PREPARED=1: side B runs each statement as a prepared form of its text, every quoted literal a
 * parameter (`EXECUTE f_i('…', …)`, prepared once on the connection under a generic plan),
 * what parsing and planning the texts at each call costs against a form planned once (not with
 * B_SQL; with EXPLAIN, each prepared form's plan is shown too, run after its text).
 * PREPARED_LEAST=<n>: only literals of at least n characters (the quotes counted) become
 * parameters (100: the rows' JSON and the lists of addresses alone).
 * DUMP=<file>: the captured messages as JSON. Rolled-back updates leave their index entries:
 * each round adds one dead version per person, as a server without autovacuum keeps them.
 */
import fs from 'node:fs';
import pg from 'pg';
import { postgresEngine } from '../test/support/database.js';
import { createServices } from '../src/compose.js';
import { ChangePaths } from '../src/domain/change-paths.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const replays = Number(process.argv[2] ?? 20);

interface Sent {
  text: string;
  values?: unknown[];
}
let capture: Sent[] | null = null;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (capture) {
    const [a, b] = args as [unknown, unknown];
    if (typeof a === 'string') capture.push({ text: a, values: Array.isArray(b) ? b : undefined });
    else if (a && typeof a === 'object' && 'text' in a)
      capture.push({ text: (a as Sent).text, values: (a as Sent).values });
  }
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const cpu = (pid: number) =>
  Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
/** The statements of a simple-query message (split at semicolons outside quotes). */
function statements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (c === ';' && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

/** `text` with each quoted literal a parameter ($1, $2, …), and those literals in order. */
function parameterized(text: string, least = 0): { template: string; literals: string[] } {
  const literals: string[] = [];
  let template = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "'") {
      template += c;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length) {
      if (text[j] === "'" && text[j + 1] === "'") j += 2;
      else if (text[j] === "'") break;
      else j++;
    }
    if (j + 1 - i < least) template += text.slice(i, j + 1);
    else {
      literals.push(text.slice(i, j + 1));
      template += `$${literals.length}`;
    }
    i = j + 1;
  }
  return { template, literals };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const made = await postgresEngine(url!).create();
  try {
    const services = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
    const web = ChangePaths.webService();
    const batch = (v: string) =>
      services.leads.syncMany(
        Array.from({ length: 300 }, (_, k) => ({
          email: `p-${k}@bench.example`,
          attributes: [
            { name: 'FirstName', value: v },
            { name: 'LastName', value: 'Bench' },
            { name: 'Company', value: 'Bench Corp' },
          ],
        })),
        { path: web },
      );
    // 3,000 people, 300 of them updated by every call, as bench/run.ts seeds them.
    for (let b = 0; b < Number(process.env.BLOCKS ?? 24); b++)
      await services.leads.syncMany(
        Array.from({ length: 300 }, (_, k) => ({
          email: `p-${b * 300 + k}@bench.example`,
          attributes: [{ name: 'FirstName', value: 'First' }],
        })),
        { path: web },
      );
    for (let i = 0; i < 50; i++) await batch(`W${i}`);
    await made.db.knex.raw('VACUUM ANALYZE');
    capture = [];
    await batch('Captured');
    const messages = capture.length;
    const sent = capture.flatMap((m): Sent[] =>
      m.values?.length ? [m] : statements(m.text).map((text) => ({ text })),
    );
    capture = null;
    const client = new pg.Client({ connectionString: made.url });
    await client.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
      .pid;
    const control = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i;
    console.log(`${messages} messages, ${sent.length} statements`);
    if (process.env.DUMP) fs.writeFileSync(process.env.DUMP, JSON.stringify(sent));
    sent.forEach((s, i) =>
      console.log(
        `#${i} ${s.text.replace(/\s+/g, ' ').slice(0, 160)} [${s.values?.length ?? 0} values, ${s.text.length + JSON.stringify(s.values ?? []).length} chars]`,
      ),
    );
    // ONLY=<n>: replay statement #n alone (e.g. under `perf record -p` of the pid printed).
    const only = process.env.ONLY === undefined ? undefined : Number(process.env.ONLY);
    console.log(`replaying ${only === undefined ? 'all' : `#${only}`} in backend ${pid}`);
    const prepared = process.env.PREPARED === '1' && !process.env.B_SQL;
    const variants = process.env.B_SQL
      ? ['', process.env.B_SQL]
      : prepared
        ? ['', 'PREPARED']
        : [''];
    const executes = new Map<number, string>();
    if (prepared) {
      await client.query('SET plan_cache_mode = force_generic_plan');
      for (const [i, s] of sent.entries()) {
        if (control.test(s.text) || s.values?.length) continue;
        const { template, literals } = parameterized(
          s.text,
          Number(process.env.PREPARED_LEAST ?? 0),
        );
        await client.query(`PREPARE f_${i} AS ${template}`);
        executes.set(i, `EXECUTE f_${i}${literals.length ? `(${literals.join(', ')})` : ''}`);
      }
    }
    const times = variants.map(() => sent.map((): number[] => []));
    for (let r = 0; r < replays; r++) {
      for (const [v, set] of variants.entries()) {
        const side = (v + r) % variants.length;
        await client.query('BEGIN');
        if (variants[side] && !prepared) await client.query(variants[side]!);
        for (const [i, s] of sent.entries()) {
          if (control.test(s.text) || (only !== undefined && only !== i)) continue;
          const text = side === 1 && prepared ? (executes.get(i) ?? s.text) : s.text;
          const t0 = cpu(pid);
          await client.query(text, text === s.text ? s.values : undefined);
          times[side]![i]!.push(cpu(pid) - t0);
        }
        await client.query('ROLLBACK');
        void set;
      }
    }
    for (const [v, set] of variants.entries()) {
      let total = 0;
      sent.forEach((s, i) => {
        if (!times[v]![i]!.length) return;
        total += median(times[v]![i]!);
        console.log(`${set || 'A'} #${i} server CPU median ${median(times[v]![i]!).toFixed(0)} µs`);
      });
      console.log(`${set || 'A'} total of medians ${total.toFixed(0)} µs`);
    }
    if (process.env.EXPLAIN) {
      await client.query('BEGIN');
      if (process.env.B_SQL) await client.query(process.env.B_SQL);
      for (const [i, s] of sent.entries()) {
        if (control.test(s.text)) continue;
        // Multi-statement messages cannot be explained as one; skip them.
        try {
          const r = await client.query(`EXPLAIN (ANALYZE, BUFFERS, WAL) ${s.text}`, s.values);
          if (executes.has(i)) {
            const e = await client.query(`EXPLAIN (ANALYZE) ${executes.get(i)!}`);
            console.log(
              `--- #${i} prepared\n${e.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`,
            );
          }
          console.log(
            `--- #${i}\n${r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`,
          );
        } catch (e) {
          console.log(`--- #${i} not explained: ${(e as Error).message}`);
          await client.query('ROLLBACK');
          await client.query('BEGIN');
          for (const p of sent.slice(0, i))
            if (!control.test(p.text)) await client.query(p.text, p.values);
          await client.query(s.text, s.values);
        }
      }
      await client.query('ROLLBACK');
    }
    await client.end();
  } finally {
    await made.db.close();
    await made.drop();
  }
}

void main();
