/**
 * What one syncMultipleLeads call of the bench (300 updates by email: FirstName, LastName,
 * Company) posts to the SQLite writer thread, message by message, and what each of its
 * statements costs SQLite alone: captured as posted (in one process, on SQLite), then run
 * again with better-sqlite3 on a copy of the file taken just before the call (`VACUUM INTO`:
 * its pages fuller than the live file's), each run in a transaction rolled back; medians.
 * SHOW_SQL=1 prints each statement and the start of its bindings; DUMP_TO=path writes the
 * copy (path.sqlite3) and the statements (path.json) for replays of variants of them.
 *
 *   node --import tsx bench/batch-statements.ts [runs]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ChangePaths } from '../src/domain/change-paths.js';
import { createServices } from '../src/compose.js';
import { testEngines } from '../test/support/database.js';

const runs = Number(process.argv[2] ?? 30);
const web = ChangePaths.webService();
const captured: unknown[] = [];
let capturing = false;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
  if (capturing) captured.push(structuredClone(args[0]));
  return post.apply(this, args);
};

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;
const made = await sqlite.create();
const services = createServices(made.db, { customFields: [], defaultPartition: 'Default' }, {});
const PEOPLE = 3000;
for (let s = 0; s < PEOPLE; s += 300)
  await services.leads.syncMany(
    Array.from({ length: 300 }, (_, j) => ({ email: `multi-${s + j}@bench.example` })),
    { path: web, matchByEmail: false },
  );
const batch = (visit: number, block: number) =>
  services.leads.syncMany(
    Array.from({ length: 300 }, (_, j) => ({
      email: `multi-${block * 300 + j}@bench.example`,
      attributes: [
        { name: 'FirstName', value: `V${visit}` },
        { name: 'LastName', value: 'Bench' },
        { name: 'Company', value: 'Bench Corp' },
      ],
    })),
    { path: web, matchByEmail: true },
  );
for (let i = 0; i < 20; i++) await batch(i, i % 10);
const file = fs.readdirSync(made.dataDir).find((f) => f.endsWith('.sqlite'));
const before = new Database(path.join(made.dataDir, file!));
const copy = path.join(made.dataDir, 'before-copy.sqlite3');
before.exec(`VACUUM INTO '${copy}'`);
before.close();
capturing = true;
await batch(99, 3);
capturing = false;

interface Call {
  sql: string;
  bindings: unknown[];
}
const calls: Call[] = [];
const size = (m: unknown) => JSON.stringify(m).length;
function collect(m: unknown): void {
  if (Array.isArray(m)) return m.forEach(collect);
  if (!m || typeof m !== 'object') return;
  const r = m as Record<string, unknown>;
  for (const q of (r.queued as Call[] | undefined) ?? []) calls.push(q);
  for (const q of (r.step as Call[] | undefined) ?? []) calls.push(q);
  if (typeof r.sql === 'string') calls.push({ sql: r.sql, bindings: r.bindings as unknown[] });
  for (const q of (r.reads as Call[] | undefined) ?? []) calls.push(q);
  const u = r.unless as { then: Call[] } | undefined;
  for (const q of u?.then ?? []) calls.push(q);
}
for (const m of captured) {
  console.log(`message: ${size(m)} bytes of JSON`);
  collect(m);
}
const db = new Database(copy);
if (process.env.DUMP_TO) {
  fs.copyFileSync(copy, process.env.DUMP_TO + '.sqlite3');
  fs.writeFileSync(process.env.DUMP_TO + '.json', JSON.stringify(calls));
}
if (process.env.SHOW_SQL)
  for (const c of calls) console.log(c.sql, '\n', JSON.stringify(c.bindings).slice(0, 600), '\n');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times = calls.map(() => [] as number[]);
const skip = /^(BEGIN|COMMIT|ROLLBACK|RELEASE|SAVEPOINT)/i;
// Prepared once, as the writer thread's statement cache keeps them; the temporary table of the
// check's bases made once first, as the writer's connection keeps it (made and rolled back in
// every run, it would have every statement prepared again).
const prepared = new Map<number, Database.Statement>();
for (const c of calls) if (/^CREATE TEMP/i.test(c.sql.trim())) db.prepare(c.sql).run(c.bindings);
for (let r = 0; r < runs; r++) {
  db.exec('BEGIN IMMEDIATE');
  calls.forEach((c, i) => {
    if (skip.test(c.sql.trim())) return;
    let st = prepared.get(i);
    if (!st) prepared.set(i, (st = db.prepare(c.sql)));
    const t = process.hrtime.bigint();
    if (st.reader) st.raw(true).all(c.bindings);
    else st.run(c.bindings);
    times[i]!.push(Number(process.hrtime.bigint() - t) / 1000);
  });
  db.exec('ROLLBACK');
}
calls.forEach((c, i) => {
  const text = c.sql.replace(/\s+/g, ' ').slice(0, 110);
  const bound = size(c.bindings);
  const t = times[i]!.length ? `${median(times[i]!).toFixed(0).padStart(6)} µs` : '     -   ';
  console.log(`${t}  ${String(bound).padStart(6)} B  ${text}`);
});
db.close();
await made.drop();
