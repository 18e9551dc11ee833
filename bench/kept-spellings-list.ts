// The cost of listing the opt-outs kept under joined keys (email_status_joined) under their
// spellings: the console's suppressions list (a page of 50 and its capped count) and a full
// `suppressions export`, A without them (the statuses alone, as before) and B as served, in
// interleaved rounds on one database of N opt-outs, each with its kept twin (as the migration
// 20261206004000 leaves most of them: a domain holding 'i' or 'ss'). Its own database, dropped.
//   [DATABASE_URL=…] N=20000 ROUNDS=6 node --import tsx bench/kept-spellings-list.ts
import type { StatusFilter } from '../src/domain/records.js';
import { foldedContains } from '../src/domain/email-key.js';
import { testEngines } from '../test/support/database.js';
import { openHarness } from '../test/support/harness.js';
import { UnitOfWork } from '../src/data-access/unit-of-work.js';

const N = Number(process.env.N ?? 20000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const engine = testEngines().at(-1)!;
const h = await openHarness(engine);
const s = h.services;
const DOMAINS = ['gmail.com', 'hotmail.com', 'strasse.de', 'web.de', 'example.org'];
const rows = Array.from({ length: N }, (_, i) => ({
  email_key: `p${i}@${DOMAINS[i % DOMAINS.length]}`,
  unsubscribed: true,
  reason: 'asked',
  source: 'Web service API',
  lead_id: null,
  changed_at: 1_600_000_000_000 + i,
  recorded_at: 1_600_000_000_000 + i,
  lifted_reason: null,
  lifted_at: null,
}));
for (let i = 0; i < rows.length; i += 500) {
  const part = rows.slice(i, i + 500);
  await h.db.knex('email_status').insert(part);
  await h.db
    .knex('email_status_joined')
    .insert(
      part
        .filter((r) => /@.*(ss|i)/.test(r.email_key))
        .map(({ email_key, ...r }) => ({ joined_key: email_key, ...r })),
    );
}

const uow = new UnitOfWork(h.db);

/** A: the page and count of the statuses alone, as before. */
const ownList = (f: StatusFilter) =>
  uow.read(async (repos) => {
    const folded = foldedContains(f);
    const page = await repos.emailStatus.list(folded, null, 51);
    return page.length + (await repos.emailStatus.count(folded, 10000));
  });
/** B: the page as served. */
const servedList = async (f: StatusFilter) => {
  const page = await s.suppressions.list(f, null, 50);
  return page.rows.length + page.total;
};
/** A: the statuses alone; B: the export as served. */
const ownExport = async () => {
  let n = 0;
  for (let after: string | null = null; ;) {
    const page = await uow.read((repos) => repos.emailStatus.listChangedSince(0, after, 1000));
    n += page.length;
    if (page.length < 1000) return n;
    after = page[page.length - 1]!.emailKey;
  }
};
const servedExport = async () => {
  let n = 0;
  for await (const row of s.suppressions.export()) if (row.unsubscribed) n++;
  return n;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cases: Array<[string, () => Promise<number>, () => Promise<number>, number]> = [
  ['list, no filter', () => ownList({}), () => servedList({}), 20],
  [
    'list, "gmail"',
    () => ownList({ addressContains: 'gmail' }),
    () => servedList({ addressContains: 'gmail' }),
    20,
  ],
  [
    'list, "p17@"',
    () => ownList({ addressContains: 'p17@' }),
    () => servedList({ addressContains: 'p17@' }),
    20,
  ],
  ['export, full', ownExport, servedExport, 1],
];
for (const [name, a, b, reps] of cases) {
  const times: Record<'A' | 'B', number[]> = { A: [], B: [] };
  let rowsA = 0;
  let rowsB = 0;
  for (let r = 0; r < ROUNDS; r++)
    for (const [side, fn] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) {
        const n = await fn();
        if (side === 'A') rowsA = n;
        else rowsB = n;
      }
      times[side].push(Number(process.hrtime.bigint() - t0) / 1e6 / reps);
    }
  const [ma, mb] = [median(times.A), median(times.B)];
  console.log(
    `${engine.name} ${name}: A ${ma.toFixed(2)} ms, B ${mb.toFixed(2)} ms (${(mb / ma).toFixed(2)}x); rows+count A ${rowsA}, B ${rowsB}`,
  );
}
await h.drop();
