import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SuppressionRow } from '../../src/domain/suppression.service.js';
import { csvRows } from '../../src/csv/suppression-csv.js';

/** A suppression list's rows, as a file with a header line would give them (from line 2). */
export async function* listRows(
  list: Array<Omit<SuppressionRow, 'line'>>,
): AsyncGenerator<SuppressionRow> {
  let line = 1;
  for (const r of list) yield { line: ++line, ...r };
}

/** A list of bare addresses, as listRows gives it. */
export const addressRows = (emails: string[]): AsyncGenerator<SuppressionRow> =>
  listRows(emails.map((email) => ({ email })));

/** A reference model's suppression lines as listRows gives them: a missing reason or date is no cell. */
export const lineRows = (
  list: Array<{
    email: string;
    reason: string | undefined;
    date: string | undefined;
    source?: string;
  }>,
): AsyncGenerator<SuppressionRow> =>
  listRows(
    list.map((r) => ({
      email: r.email,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.date ? { date: r.date } : {}),
      ...(r.source ? { source: r.source } : {}),
    })),
  );

/** One CSV cell, always quoted (the spellings hold quotes and blanks). */
export const cell = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** A reference model's suppression lines as a CSV file with a header (every cell quoted). */
export const lineCsv = (
  list: ReadonlyArray<{ email: string; reason?: string; date?: string; source?: string }>,
): string =>
  'email,reason,date,source\n' +
  list
    .map((r) => [r.email, r.reason ?? '', r.date ?? '', r.source ?? ''].map(cell).join(','))
    .join('\n');

/**
 * For a whole suite (mocha hooks): the rows csvRows reads from a list file of the given
 * content, written in a directory of the suite's own (named from `prefix`), removed after it.
 */
export function csvRowsPerSuite(
  prefix: string,
): (content: string | Buffer) => Promise<SuppressionRow[]> {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return async (content) => {
    const file = path.join(dir, 'list.csv');
    fs.writeFileSync(file, content);
    const rows = [];
    for await (const row of csvRows(file, { bytes: 0 })) rows.push(row);
    return rows;
  };
}
