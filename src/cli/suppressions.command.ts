import fs from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import type { EmailStatusRecord } from '../data-access/email-status.repository.js';
import type { SuppressionRow, SuppressionService } from '../domain/suppression.service.js';

/** CSV field, quoted when it must be. */
export function csvField(value: string | number | boolean | null | undefined): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streams the rows of a suppression CSV (header: email, and optionally reason, source, date). */
export async function* csvRows(
  file: string,
  progress: { bytes: number },
): AsyncGenerator<SuppressionRow> {
  const input = fs.createReadStream(file);
  input.on('data', (chunk) => (progress.bytes += chunk.length));
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim().toLowerCase());
        if (!names.includes('email'))
          throw new Error('The CSV needs a header line with an "email" column');
        return names;
      },
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      info: true,
    }),
  );
  type Parsed = { record: Record<string, string | undefined>; info: { lines: number } };
  for await (const { record, info } of parser as AsyncIterable<Parsed>) {
    yield {
      line: info.lines,
      email: record.email ?? '',
      reason: record.reason,
      source: record.source,
      date: record.date,
    };
  }
}

export async function importSuppressions(
  service: SuppressionService,
  file: string,
  options: {
    dryRun: boolean;
    rejectsFile?: string;
    out: NodeJS.WritableStream;
    err: NodeJS.WriteStream;
  },
): Promise<number> {
  if (!fs.existsSync(file)) {
    options.err.write(`No such file: ${file}\n`);
    return 2;
  }
  const total = fs.statSync(file).size;
  const rejectsFile = options.rejectsFile ?? `${file}.rejects.csv`;
  const rejects = fs.createWriteStream(rejectsFile);
  rejects.write('line,email,why\n');
  const tty = options.err.isTTY === true;
  let lastDraw = 0;
  const progress = { bytes: 0 };
  const importRows = () =>
    service.import(csvRows(file, progress), {
      dryRun: options.dryRun,
      actor: 'cli',
      onReject: (r) => rejects.write(rejectCsvLine(r)),
      onProgress: (c) => {
        if (!tty || Date.now() - lastDraw < 100) return;
        lastDraw = Date.now();
        const read = Math.min(1, progress.bytes / Math.max(total, 1));
        const width = 30;
        const filled = Math.round(read * width);
        options.err.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${c.rows} rows, ${c.suppressed} suppressed, ${c.rejected} rejected`,
        );
      },
    });
  let counts: Awaited<ReturnType<SuppressionService['import']>>;
  try {
    counts = await importRows();
  } catch (error) {
    // A malformed CSV stops the import where it is; what was imported so far stays (re-runs are idempotent).
    if (!(error instanceof CsvError)) throw error;
    rejects.end();
    options.err.write(`${tty ? '\n' : ''}The CSV could not be read: ${error.message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => rejects.end(resolve));
  if (tty) options.err.write('\n');
  options.out.write(
    `${options.dryRun ? 'Dry run (nothing written): ' : ''}${counts.rows} rows; ${counts.suppressed} addresses ${options.dryRun ? 'would be ' : ''}suppressed, ` +
      `${counts.alreadySuppressed} already suppressed, ${counts.peopleUnsubscribed} people ${options.dryRun ? 'would be ' : ''}unsubscribed, ` +
      `${counts.rejected} rejected${counts.rejected ? ` (see ${rejectsFile})` : ''}.\n`,
  );
  if (counts.rejected === 0) fs.rmSync(rejectsFile, { force: true });
  return 0;
}

/** One line of a rejects file (the CLI's and the console's download). */
export function rejectCsvLine(r: { line: number; email: string; why: string }): string {
  return `${r.line},${csvField(r.email)},${csvField(r.why)}\n`;
}

export const REJECTS_CSV_HEADER = 'line,email,why\n';

export async function exportSuppressions(
  service: SuppressionService,
  since: number,
  out: NodeJS.WritableStream,
): Promise<number> {
  return writeSuppressionCsv(service.export(since), out);
}

/** The export CSV of master statuses (the CLI's export and the console's filtered list). */
export async function writeSuppressionCsv(
  rows: AsyncIterable<EmailStatusRecord>,
  out: NodeJS.WritableStream,
): Promise<number> {
  out.write('email,unsubscribed,reason,source,date\n');
  for await (const s of rows) {
    const ok = out.write(
      `${csvField(s.emailKey)},${s.unsubscribed},${csvField(s.reason)},${csvField(s.source)},${new Date(s.changedAt).toISOString()}\n`,
    );
    if (!ok) await new Promise((r) => out.once('drain', r));
  }
  return 0;
}
