import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { csvEncoding } from '../csv/suppression-csv.js';

/**
 * Whether the file holds more than white space (and a byte-order mark), read a chunk at a
 * time: reading it whole to find out held a list of any size in memory, and one past 512 MiB
 * (more than a string may hold) ended the import with a stack trace before its first row.
 */
function holdsText(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(65536);
    let utf16: boolean | undefined;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return false;
      let bytes = chunk.subarray(0, n);
      if (utf16 === undefined) {
        const encoding = csvEncoding(bytes);
        utf16 = encoding !== 'utf8';
        const mark16 =
          (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
        const mark8 = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
        bytes = bytes.subarray(mark16 ? 2 : mark8 ? 3 : 0);
      }
      // Spaces, tabs and line breaks; in UTF-16, the zero byte of each of them too.
      for (const b of bytes)
        if (b !== 0x20 && (b < 0x09 || b > 0x0d) && !(utf16 && b === 0)) return true;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why the file cannot be imported at all, or null; `name` is what the operator calls it (the
 * file itself, or "standard input" for the private copy of what was piped in).
 */
export function unusableFile(file: string, name = file): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return `No such file: ${file}`;
  }
  if (stat.isDirectory()) return `${file} is a directory, not a CSV file`;
  if (!stat.isFile()) return `${file} is not a regular file`;
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    return `${file} cannot be read (permission denied)`;
  }
  if (stat.size === 0 || !holdsText(file))
    return `${name} is empty: expected a header line with an "email" column, then one address per line`;
  return null;
}

/** What stands for standard input where a FILE is read (`suppressions import -`). */
export const STANDARD_INPUT = '-';

/**
 * Why `suppressions import -` cannot read standard input, decided before anything is read or
 * opened: a terminal (nothing piped: it would wait for typing, as if hung), or a real run
 * without --rejects (standard input has no file name to put the rejected lines beside).
 */
export function unusableStandardInput(
  rejectsFile: string | undefined,
  dryRun: boolean,
): string | null {
  if (tty.isatty(0))
    return 'suppressions import -: standard input is a terminal, not a CSV; pipe the list in (zcat list.csv.gz | durable-unsubscribe suppressions import - --rejects FILE) or give its FILE';
  if (rejectsFile === undefined && !dryRun)
    return 'suppressions import - needs --rejects FILE: standard input has no file name to write the rejected lines beside';
  return null;
}

/** The file `input` names, or what standard input is (null when it is closed). */
function sourceStat(input: string): fs.Stats | null {
  try {
    return input === STANDARD_INPUT ? fs.fstatSync(0) : fs.statSync(input);
  } catch {
    return null;
  }
}

/**
 * Why rejected lines cannot go to `rejects`, checked before a row is imported: the file is
 * opened at the first rejected line, and then it would be too late to say so cleanly. Naming
 * the file being imported is refused outright: opening it truncates the list while it is read,
 * and the import would end early as if the list ended there (standard input redirected from
 * that file, `< list.csv`, included).
 */
export function unusableRejectsFile(input: string, rejects: string): string | null {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(rejects);
  } catch {
    // Not there yet: its directory must take a new file.
  }
  const where = (code: string) => `Rejected lines cannot be written to ${rejects} (${code})`;
  if (stat === null) {
    try {
      fs.accessSync(path.dirname(path.resolve(rejects)), fs.constants.W_OK);
      return null;
    } catch (error) {
      return `${where((error as { code?: string }).code ?? 'error')}: give --rejects FILE elsewhere`;
    }
  }
  if (stat.isDirectory()) return `${where('a directory')}: give --rejects FILE`;
  const source = sourceStat(input);
  if (source && stat.dev === source.dev && stat.ino === source.ino)
    return `--rejects ${rejects} is the file being imported: writing rejects would overwrite the list; give another file`;
  try {
    fs.accessSync(rejects, fs.constants.W_OK);
  } catch (error) {
    return `${where((error as { code?: string }).code ?? 'error')}: give --rejects FILE elsewhere`;
  }
  return null;
}
