/**
 * What `suppressions import` writes while it runs, apart from its summary: the file of
 * rejected lines, and a progress bar on a terminal.
 */
import fs from 'node:fs';
import type { ImportCounts, SuppressionReject } from '../domain/suppression.service.js';
import { REJECTS_CSV_HEADER, rejectCsvLine } from '../csv/suppression-csv.js';
import { plural } from './printable.js';

/** The rejected lines' file, made at the first rejected line: a run without any leaves none. */
export interface RejectsWriter {
  write(reject: SuppressionReject): void;
  /** Resolves once every line written is flushed (or at once when none was). */
  close(): Promise<void>;
  /** A write that failed (a full disk): reported at the end, not thrown in the middle of the import. */
  readonly error: Error | undefined;
}

export function rejectsWriter(file: string): RejectsWriter {
  let stream: fs.WriteStream | undefined;
  let error: Error | undefined;
  return {
    write(reject) {
      if (!stream) {
        stream = fs.createWriteStream(file, { mode: 0o600 });
        stream.on('error', (e) => (error ??= e));
        stream.write(REJECTS_CSV_HEADER);
      }
      stream.write(rejectCsvLine(reject));
    },
    close: () => new Promise<void>((resolve) => (stream ? stream.end(resolve) : resolve())),
    get error() {
      return error;
    },
  };
}

const BAR_WIDTH = 30;
/** Drawn at most this often: a batch is written far more often than a terminal is read. */
const REDRAW_MS = 100;

/**
 * Draws the share of the file read so far and the counts on one terminal line (`\r`); the
 * caller ends the line. `readBytes` says how far the file is read.
 */
export function progressBar(
  err: NodeJS.WritableStream,
  totalBytes: number,
  readBytes: () => number,
): (counts: ImportCounts) => void {
  let lastDraw = 0;
  return (c) => {
    if (Date.now() - lastDraw < REDRAW_MS) return;
    lastDraw = Date.now();
    const read = Math.min(1, readBytes() / Math.max(totalBytes, 1));
    const filled = Math.round(read * BAR_WIDTH);
    err.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${plural(c.rows, 'row', 'rows')}, ${c.suppressed} suppressed, ${c.rejected} rejected`,
    );
  };
}
