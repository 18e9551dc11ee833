import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { csvRow, RecordStartLines, unneutralise } from './csv-row.js';
import type { EmailStatusRecord, RejectedLine } from '../domain/records.js';
import type { SuppressionRow } from '../domain/suppression.service.js';

/**
 * The suppression CSV formats, read and written by both the command line (`suppressions
 * import|export`) and the operator console (upload, filtered export, rejects download).
 */

/** A problem with the file as a whole: one line for the operator, never a stack trace. */
export class UnreadableCsv extends Error {}

/**
 * The longest row a suppression CSV may hold, in characters, unless IMPORT_MAX_ROW_CHARS says
 * otherwise. A row is an address (254 at most), a reason (kept to 1,000), a source and a date;
 * a longer row up to this size is read and rejected by line like any bad row, but past it
 * reading the row whole would cost memory in proportion to the line (a file with no line
 * breaks), so the file stops there.
 */
export const DEFAULT_MAX_CSV_ROW_CHARS = 1_048_576;

/** The columns a row is read from (any other column is ignored). */
const READ_COLUMNS = ['email', 'reason', 'source', 'date', 'unsubscribed'] as const;

function describeHeader(firstLine: string): string {
  // Commas, semicolons and tabs are read (csvDelimiter); a bar is not.
  if (firstLine.includes('|') && !/[,;\t]/.test(firstLine))
    return 'The first line has no "email" column: the file seems to separate fields with vertical bars; use commas';
  return /@/.test(firstLine)
    ? 'The first line looks like data, not a header: add a header line such as "email,reason,source,date"'
    : 'The first line has no "email" column: the file needs a header line such as "email,reason,source,date"';
}

/**
 * What an `unsubscribed` cell says, lower-cased: true or false as this service's export writes
 * them, as 1/0 and yes/no, and as Excel writes true and false where it translates them
 * (German, French, Spanish, Italian, Portuguese, Dutch, Scandinavian, Finnish, Polish), since
 * an export edited in a spreadsheet comes back so. An empty cell is an opt-out, as a list
 * without the column is.
 */
const UNSUBSCRIBED_CELLS: ReadonlyMap<string, boolean> = new Map([
  ...['', 'true', '1', 'yes', 'y', 'wahr', 'vrai', 'verdadero', 'vero', 'verdadeiro', 'waar']
    .concat(['sant', 'sand', 'sann', 'tosi', 'prawda'])
    .map((v) => [v, true] as const),
  ...['false', '0', 'no', 'n', 'falsch', 'faux', 'falso', 'onwaar', 'falskt', 'falsk', 'usann']
    .concat(['epätosi', 'fałsz'])
    .map((v) => [v, false] as const),
]);

/** Field separators a list may use, in the order they are tried on its header line. */
const DELIMITERS = [',', ';', '\t'] as const;

/**
 * The field separator of a list whose header line is `firstLine`: the first of a comma, a
 * semicolon (what Excel writes where the decimal mark is a comma: Germany, France, ...) and a
 * tab (Excel's "Unicode Text") that leaves an "email" cell on that line; a comma if none does.
 */
export function csvDelimiter(firstLine: string): string {
  const isEmail = (cell: string) =>
    cell
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim()
      .toLowerCase() === 'email';
  return DELIMITERS.find((d) => firstLine.split(d).some(isEmail)) ?? ',';
}

/**
 * Excel's first line `sep=;` (it names the field separator, for Excel to open the file with;
 * the header comes after it): the separator it names, or null for any other line. Excel writes
 * more separators after it when the sheet has more columns.
 */
function namedSeparator(firstLine: string): string | null {
  const named = /^sep=([\t\x21\x23-\x7e])\1*$/i.exec(firstLine.replace(/ +$/, ''));
  return named ? named[1]! : null;
}

/**
 * A cell on a line whose quoted cells have blanks after them (RecordStartLines): csv-parse
 * gives such a cell (`"a@b.example" ,`, `"said ""no""" ,`: what hand-editing leaves) as its
 * text between the quotes put back, doubled quotes already read as one, then the blanks
 * (relax_quotes); it is that text. Any other cell is kept as it was read. (Blanks before an
 * opening quote, `, "asked"`, csv-parse drops itself: ltrim.)
 */
function unquoted(cell: string): string {
  const quoted = /^"([^]*)"[ \t]+$/.exec(cell);
  return quoted ? quoted[1]! : cell;
}

/** The first line of a file (of its first 64 KiB), as text, without a byte-order mark. */
function firstLineOf(file: string, encoding: CsvEncoding): string {
  const head = fileHead(file, 65536);
  let text = head.toString('utf8');
  if (encoding !== 'utf8') {
    // Whole pairs only; swap16 works in place, and fileHead's buffer is this call's own.
    const pairs = head.subarray(0, head.length - (head.length % 2));
    text = (encoding === 'utf16be' ? pairs.swap16() : pairs).toString('utf16le');
  }
  return text.replace(/^\ufeff/, '').split(/[\r\n]/, 1)[0] ?? '';
}

/** How a suppression CSV is encoded: UTF-8 (with or without its byte-order mark) or UTF-16. */
export type CsvEncoding = 'utf8' | 'utf16le' | 'utf16be';

/**
 * The encoding of a file, from its first bytes: UTF-16 by its byte-order mark (what Excel's
 * "Unicode Text" and Windows PowerShell 5's `>` write), or by the zero byte beside the first
 * character of a header that has none; otherwise UTF-8.
 */
export function csvEncoding(head: Uint8Array): CsvEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) return 'utf16le';
  if (head.length >= 2 && head[0] === 0 && head[1] !== 0) return 'utf16be';
  return 'utf8';
}

/** The first bytes of a file (fewer if it is shorter). */
function fileHead(file: string, bytes = 4): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(bytes);
    return head.subarray(0, fs.readSync(fd, head, 0, bytes, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** UTF-16 bytes (either order) to UTF-8, a chunk at a time (a character may span two). */
class Utf16ToUtf8 extends Transform {
  private readonly decoder = new StringDecoder('utf16le');
  private odd: Buffer | null = null;

  constructor(private readonly bigEndian: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let bytes = chunk;
    if (this.bigEndian) {
      // swap16 needs whole pairs, and works in place: on a copy.
      bytes = this.odd ? Buffer.concat([this.odd, chunk]) : Buffer.from(chunk);
      this.odd = bytes.length % 2 ? Buffer.from(bytes.subarray(bytes.length - 1)) : null;
      bytes = bytes.subarray(0, bytes.length - (bytes.length % 2)).swap16();
    }
    done(null, Buffer.from(this.decoder.write(bytes), 'utf8'));
  }

  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.end(this.odd ?? undefined), 'utf8'));
  }
}

/**
 * Streams the rows of a suppression CSV (header: email, and optionally reason, source, date;
 * fields separated as the header is, csvDelimiter).
 */
export async function* csvRows(
  file: string,
  /** Bytes read so far; lines skipped because they mark an address subscribed. */
  progress: { bytes: number; notLifted?: number },
  /** The longest line read (IMPORT_MAX_ROW_CHARS); a longer one stops the file there. */
  maxRowChars = DEFAULT_MAX_CSV_ROW_CHARS,
): AsyncGenerator<SuppressionRow> {
  const encoding = csvEncoding(fileHead(file));
  const first = firstLineOf(file, encoding);
  // Excel's `sep=` line names the separator; the header is the line after it.
  const named = namedSeparator(first);
  const delimiter = named ?? csvDelimiter(first);
  const input = fs.createReadStream(file);
  // A UTF-16 list is read as the UTF-8 it holds; the progress counts the file's own bytes.
  const text = encoding === 'utf8' ? input : input.pipe(new Utf16ToUtf8(encoding === 'utf16be'));
  // A UTF-8 list's bytes are counted as they are read; a UTF-16 one's as the file gives them.
  // The header (and a `sep=` line before it) is no row.
  const starts = new RecordStartLines(named ? 2 : 1, maxRowChars, delimiter);
  if (encoding !== 'utf8')
    input.on('data', (chunk: string | Buffer) => (progress.bytes += chunk.length));
  let firstLine = '';
  const parser = parse({
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim().toLowerCase());
      firstLine = header.join(',');
      if (!names.includes('email')) throw new UnreadableCsv(describeHeader(header.join(',')));
      const twice = READ_COLUMNS.find((c) => names.indexOf(c) !== names.lastIndexOf(c));
      // Only one of the two would be read: the addresses of the other never imported.
      if (twice !== undefined)
        throw new UnreadableCsv(
          `The first line names the column "${twice}" more than once: keep one, or rename the others`,
        );
      return names;
    },
    delimiter,
    ...(named ? { from_line: 2 } : {}),
    skip_empty_lines: true,
    // A quote inside an unquoted cell (`a"b`), or text after a closing quote, is read as
    // written (then unquoted), not the end of the import: the line is read, or rejected by
    // its number as any bad line is, and the lines after it are imported.
    relax_quotes: true,
    // Blanks before a cell are dropped, so that a quote behind them opens a quoted cell (`a,
    // "Smith, John"`, as spreadsheets read it), not text that splits at the comma inside.
    ltrim: true,
    // Every line end at once, not the first line's alone: a list pasted together from
    // Windows, Unix and old Mac files read its other lines as part of a row's last cell (an
    // address in a reason: an opt-out silently lost). CRLF first, so it is one end, not two.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    bom: true,
    info: true,
    max_record_size: maxRowChars,
  });
  type Parsed = { record: Record<string, string | undefined>; info: { lines: number } };
  const cell = (v: string | undefined) => (v === undefined ? v : unneutralise(v));
  try {
    const chunks = recordsBeforeError<Parsed>(text, parser, (chunk) => {
      if (encoding === 'utf8') progress.bytes += chunk.length;
      return starts.feed(chunk);
    });
    for await (const records of chunks)
      for (const { record, info } of records) {
        // The line the record starts on (csv-parse's info.lines is where it ends).
        const line = starts.next() ?? info.lines;
        const quotes = starts.quoteTrouble(line);
        if (quotes === 'blanks')
          for (const [name, value] of Object.entries(record))
            if (value !== undefined) record[name] = unquoted(value);
        // A row of empty cells (",,," where a spreadsheet saved blank rows, or only spaces) is
        // no line of the list, as an empty line is not: not counted, not rejected.
        if (Object.values(record).every((v) => v === undefined || v.trim() === '')) continue;
        // An export lists lifted addresses with unsubscribed=false: import never lifts, and must
        // not suppress them either, whatever a spreadsheet made of the word (FALSCH, FAUX, 0).
        const flag = record.unsubscribed?.trim() ?? '';
        const unsubscribed = UNSUBSCRIBED_CELLS.get(flag.toLowerCase());
        if (unsubscribed === false) {
          progress.notLifted = (progress.notLifted ?? 0) + 1;
          continue;
        }
        yield {
          line,
          email: cell(record.email) ?? '',
          reason: cell(record.reason),
          source: cell(record.source),
          date: record.date,
          ...(unsubscribed === undefined ? { unreadFlag: flag } : {}),
          ...(quotes === 'text' ? { misquoted: true } : {}),
        };
      }
  } catch (error) {
    if (error instanceof UnreadableCsv) throw error;
    // csv-parse wraps an error thrown by the columns callback.
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof UnreadableCsv) throw cause;
    if (
      error instanceof RowTooLong ||
      (error instanceof CsvError && error.code === 'CSV_MAX_RECORD_SIZE')
    ) {
      const at =
        error instanceof RowTooLong
          ? starts.lastRecordLine
          : (error as CsvError & { lines?: number }).lines;
      throw new UnreadableCsv(
        `${at ? `Line ${at}` : 'A line'} is longer than ${maxRowChars.toLocaleString('en-US')} characters: not a suppression row (email, reason, source, date); the file stops there`,
      );
    }
    if (error instanceof CsvError && error.code === 'CSV_QUOTE_NOT_CLOSED') {
      // csv-parse names the file's last line, where nothing is wrong.
      const at = starts.lastRecordLine;
      throw new UnreadableCsv(
        `The CSV could not be read: ${at ? `line ${at}` : 'a line'} opens a quote that is never closed (a quote inside a cell is written twice: "")`,
      );
    }
    if (error instanceof CsvError) {
      const m = /^Invalid (?:Record|Opening|Closing)[^:]*:?\s*(.*)$/.exec(error.message);
      throw new UnreadableCsv(`The CSV could not be read: ${m?.[1] || error.message}`);
    }
    if (/"email" column/.test((error as Error).message ?? ''))
      throw new UnreadableCsv(describeHeader(firstLine));
    throw error;
  } finally {
    input.destroy();
  }
}

/** A row past the longest line read, found before the parser holds it (recordsBeforeError). */
class RowTooLong extends Error {}

/**
 * The records `parser` makes of `text`, those of one chunk at a time (`seen` is given each
 * chunk before the parser, and says how many of its bytes to parse: fewer when a row there is
 * too long, RowTooLong then ends the records), then its error if it fails: every record of
 * the lines before the one it fails on, even those parsed from the same chunk. Iterating the parser stream itself dropped them
 * (a stream that fails discards what it has not handed out): a quote never closed in a small list
 * stopped it with none of its rows imported, where the rows before it are the operator's
 * to keep. At most one chunk's records wait at a time; the file is read as they are taken.
 */
async function* recordsBeforeError<T>(
  text: NodeJS.ReadableStream,
  parser: ReturnType<typeof parse>,
  seen: (chunk: Buffer) => number,
): AsyncGenerator<T[]> {
  let ready: T[] = [];
  let failure: unknown;
  parser.on('data', (record: T) => ready.push(record));
  parser.on('error', (error) => (failure ??= error));
  const settled = (write: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      // A parser that fails may call back no more: its error event says it is done too.
      const failed = () => resolve();
      parser.once('error', failed);
      write(() => {
        parser.off('error', failed);
        // The records of the chunk are handed out (the 'data' events) by then.
        setImmediate(resolve);
      });
    });
  const handOut = () => {
    const taken = ready;
    ready = [];
    return taken;
  };
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) {
      const parsed = seen(chunk);
      await settled((done) => parser.write(chunk.subarray(0, parsed), done));
      yield handOut();
      if (failure !== undefined) throw failure;
      if (parsed < chunk.length) throw new RowTooLong();
    }
    await settled((done) => parser.end(done));
    yield handOut();
    if (failure !== undefined) throw failure;
  } finally {
    parser.destroy();
  }
}

/** The export CSV of master statuses (the CLI's export and the console's filtered list). */
export async function writeSuppressionCsv(
  rows: AsyncIterable<EmailStatusRecord>,
  out: NodeJS.WritableStream,
): Promise<number> {
  out.write('email,unsubscribed,reason,source,date\n');
  for await (const s of rows) {
    const ok = out.write(
      csvRow([s.emailKey, s.unsubscribed, s.reason, s.source, new Date(s.changedAt).toISOString()]),
    );
    if (!ok && !(await drained(out))) break;
  }
  return 0;
}

/**
 * Waits until `out` takes more: true when it drained, false when it closed first (its reader
 * went away), which a 'drain' never follows; a download would otherwise wait for ever.
 */
export function drained(out: NodeJS.WritableStream): Promise<boolean> {
  if ((out as { destroyed?: boolean }).destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

/** One line of a rejects file (the CLI's and the console's download). */
export function rejectCsvLine(r: RejectedLine): string {
  return csvRow([r.line, r.email, r.why]);
}

export const REJECTS_CSV_HEADER = 'line,email,why\n';
