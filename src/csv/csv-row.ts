/**
 * CSV as every export of this service writes it (the CLI's suppressions export, the operator
 * pages' downloads): RFC 4180 quoting, and no cell a spreadsheet would run as a formula.
 */

/**
 * A cell a spreadsheet would run as a formula (Excel, LibreOffice, Google Sheets): OWASP's
 * list for CSV injection (= + - @ TAB CR), and besides it
 *
 * - LF and NUL first (a line break first hides a formula on the cell's next line; NUL is in
 *   the application security standard's list);
 * - one of = + - @ behind leading blanks: spaces, tabs, line breaks, no-break and ideographic
 *   spaces, zero-width characters, the byte order mark, direction marks and bidi controls
 *   (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, U+061C), NULs. Google Sheets drops blanks
 *   and runs what follows, and LibreOffice does when told to trim spaces on import; a cell
 *   whose first visible character is a formula sign is treated as one whatever unseen
 *   characters come before it;
 * - the full-width signs ＝ ＋ － ＠ (U+FF1D, U+FF0B, U+FF0D, U+FF20), first or behind such
 *   blanks: what an input method types, read by spreadsheets as the ASCII ones.
 *
 * A vertical bar (the old DDE form `=cmd|' /C calc'!A0`) is no formula start of its own: it
 * runs only inside a cell that starts as one of these does.
 */
const FORMULA = String.raw`[\s\u0000\u200b-\u200f\u2060\u202a-\u202e\u2066-\u2069\u061c]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r\n\u0000]`;
const FORMULA_START = new RegExp(`^(?:${FORMULA})`);

/**
 * Apostrophes, then such a start: what a neutralised cell looks like. A value that looks so
 * itself gets an apostrophe more, so that reading it back gives it unchanged ("'=x" was
 * written as it is and read back as "=x").
 */
const LOOKS_NEUTRALISED = new RegExp(`^'+(?:${FORMULA})`);

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One CSV cell. Text a spreadsheet would run as a formula (FORMULA_START: = + - @ first or
 * behind blanks, their full-width forms, TAB, CR, LF or NUL first) gets a leading apostrophe,
 * which spreadsheets show as text and never evaluate, and is quoted (OWASP's advice);
 * numbers and booleans are written as they are. Text holding a semicolon or a tab is quoted
 * too: Excel opens a .csv split on semicolons where they are the list separator (Germany,
 * France, ...), and LibreOffice offers both as separators, so `x;=1+1;` left unquoted made a
 * cell `=1+1` there.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (FORMULA_START.test(value) || LOOKS_NEUTRALISED.test(value))
    return `"'${value.replace(/"/g, '""')}"`;
  return /[",;\t\r\n]/.test(value) || /^\s|\s$/.test(value)
    ? `"${value.replace(/"/g, '""')}"`
    : value;
}

/** One CSV line, its cells made safe by csvField, ending in a line feed. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\n';
}

/**
 * The value a cell held before csvField neutralised it: reading back our own export gives
 * the same address, reason and source.
 */
export function unneutralise(cell: string): string {
  return LOOKS_NEUTRALISED.test(cell) ? cell.slice(1) : cell;
}

const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const SPACE = 0x20;
const TAB = 0x09;
const VT = 0x0b;
const FF = 0x0c;

/**
 * The characters above ASCII that csv-parse's `ltrim` drops before a cell (no-break, Ogham,
 * typographic, narrow, mathematical and ideographic spaces, line and paragraph separators, the
 * byte order mark): a quote behind them opens a quoted cell as it does behind spaces.
 */
const WIDE_BLANKS: ReadonlySet<number> = new Set([
  0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
  0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);

/**
 * Quotes of a record that RFC 4180 does not write: `blanks` beside a quoted cell (`"a" ,`,
 * `, "a"`), whose text is still plain; `text` after a closing quote (`"a"b`), where what the
 * cell was meant to hold is not.
 */
export type QuoteTrouble = 'blanks' | 'text';

/**
 * The line each record of a CSV file starts on, for messages about rejected rows. csv-parse's
 * own count is the line a record ends on, and counts a CRLF inside a quoted field as two, so
 * after an Excel cell holding a line break every later row would be reported a line or more
 * too far. Fed the file's bytes in order, this queues the start line of every record,
 * skipping empty lines as skip_empty_lines does. It follows quotes as csv-parse does with
 * relax_quotes and ltrim: a quote opens a quoted cell only at the cell's start (after `delimiter`
 * or a record's end) or behind blanks there (what ltrim drops: spaces, tabs, form feeds, vertical
 * tabs, WIDE_BLANKS); inside one, a doubled quote is a quote and any other closes it (the cell
 * then goes on unquoted, up to a separator); a quote anywhere else is text. A line break
 * inside a quoted cell is no record's end. Bytes, not characters: CR, LF, the quote and the
 * separators read (ASCII) never occur inside a multi-byte UTF-8 sequence.
 *
 * Given `maxChars`, it also counts the characters of the record being read, separators and
 * quotes included: csv-parse's own ceiling counts only what is inside the cells, so a line of
 * nothing but separators (empty cells without end) was held whole, cell by cell.
 */
export class RecordStartLines {
  private line = 1;
  private quoted = false;
  /** A quote inside a quoted cell was the byte before: doubled, or the cell's end. */
  private closing = false;
  private atStart = true;
  private atCell = true;
  /** Blanks only since the cell's start (or a character above ASCII still being read there). */
  private leading = false;
  /** Of a character above ASCII read while `leading`: its code point so far, bytes still to come. */
  private wide = 0;
  private wideLeft = 0;
  /** A quoted cell was closed, and neither a separator nor a line end has come since. */
  private closed = false;
  private readonly troubles = new Map<number, QuoteTrouble>();
  private readonly delimiter: number;
  private afterCr = false;
  private starts: number[] = [];
  private head = 0;
  private lastStart: number | undefined;
  private chars = 0;
  /**
   * The record begun on this line holds nothing but what ltrim drops so far: ended by a line
   * end, it is an empty line csv-parse skips (skip_empty_lines), so its start is taken back.
   */
  private onlyBlanks = false;
  private startBefore: number | undefined;

  /**
   * The line the last record fed so far starts on (the header's too): where a quote that is
   * never closed was opened, as every line after it is inside that record.
   */
  get lastRecordLine(): number | undefined {
    return this.lastStart;
  }

  /** `skip`: records not queued, e.g. 1 for the header line. */
  constructor(
    private skip = 0,
    private readonly maxChars = Infinity,
    delimiter = ',',
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /**
   * Takes the next bytes of the file; returns how many of them come before a record passes
   * `maxChars` (all of them if none does). The record that does is lastRecordLine's.
   */
  feed(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      // A character is counted at its first byte (none of a UTF-8 sequence's later ones).
      if ((c & 0xc0) !== 0x80 && !this.atStart && ++this.chars > this.maxChars) return i;
      if (this.closing) {
        this.closing = false;
        if (c === QUOTE) continue;
        this.quoted = false;
        this.closed = true;
      }
      if (c === LF && this.afterCr) {
        this.afterCr = false;
        continue;
      }
      this.afterCr = c === CR;
      if (c === CR || c === LF) {
        this.line++;
        if (!this.quoted && !this.atStart && this.onlyBlanks) this.takeBackStart();
        if (!this.quoted) this.atStart = this.atCell = true;
        this.closed = this.leading = false;
        continue;
      }
      if (this.atStart) {
        if (this.skip > 0) this.skip--;
        else this.starts.push(this.line);
        this.startBefore = this.lastStart;
        this.lastStart = this.line;
        this.atStart = false;
        this.onlyBlanks = true;
        this.chars = 1;
      }
      // Most bytes: text of an unquoted cell, with nothing pending.
      if (c > SPACE && c !== QUOTE && c !== this.delimiter && !(this.quoted || this.closed)) {
        if (c >= 0x80 && (this.atCell || this.leading)) this.readWide(c);
        else this.atCell = this.leading = false;
        this.onlyBlanks &&= this.leading;
        continue;
      }
      const blank = c === SPACE || c === TAB;
      if (this.closed && c !== this.delimiter) this.trouble(blank ? 'blanks' : 'text');
      if (this.quoted) this.closing = c === QUOTE;
      else this.quoted = c === QUOTE && (this.atCell || (this.leading && this.wideLeft === 0));
      this.leading =
        !this.quoted && (blank || c === VT || c === FF) && (this.atCell || this.leading);
      this.wideLeft = 0;
      this.atCell = !this.quoted && c === this.delimiter;
      if (this.closed) this.closed = !this.atCell && blank;
      this.onlyBlanks &&= this.leading;
    }
    return bytes.length;
  }

  /** The record just ended was blanks only: no record for csv-parse, so none here either. */
  private takeBackStart(): void {
    if (this.starts.length > this.head && this.starts[this.starts.length - 1] === this.lastStart)
      this.starts.pop();
    else this.skip++;
    this.lastStart = this.startBefore;
    this.onlyBlanks = false;
  }

  /**
   * A byte above ASCII at a cell's start or behind blanks there: `leading` goes on while the
   * character it belongs to may be one of WIDE_BLANKS, and after it if it is one.
   */
  private readWide(c: number): void {
    this.atCell = false;
    if (c >= 0xc0) {
      // A first byte: 110xxxxx, 1110xxxx or 11110xxx, with 1, 2 or 3 bytes after it.
      this.wideLeft = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
      this.wide = c & (0x3f >> this.wideLeft);
    } else if (this.wideLeft > 0) {
      this.wide = (this.wide << 6) | (c & 0x3f);
      this.wideLeft--;
    } else {
      // A continuation byte with no first byte before it: no blank.
      this.leading = false;
      return;
    }
    this.leading = this.wideLeft > 0 || WIDE_BLANKS.has(this.wide);
  }

  private trouble(kind: QuoteTrouble): void {
    if (this.lastStart !== undefined && this.troubles.get(this.lastStart) !== 'text')
      this.troubles.set(this.lastStart, kind);
  }

  /** What was wrong with the quotes of the record starting on `line` (asked once, after next()). */
  quoteTrouble(line: number): QuoteTrouble | undefined {
    const kind = this.troubles.get(line);
    this.troubles.delete(line);
    return kind;
  }

  /** The start line of the next record in file order, or undefined if none was fed. */
  next(): number | undefined {
    if (this.head >= this.starts.length) return undefined;
    const line = this.starts[this.head++];
    // Drop what was read now and then, so a long file keeps only the lines not yet asked for.
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
    return line;
  }
}
