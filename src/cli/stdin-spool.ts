/**
 * `suppressions import -`: standard input kept in a private file first, then imported as a
 * file is. An import reads its list's first line before its rows (the separator, the encoding)
 * and shows how much of it is read; a copy gives both, and a list cut short by a size ceiling
 * is refused whole before anything is stored, rather than imported up to where it was cut.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unusableFile } from './import-file-checks.js';
import { whileRunning, stopNow } from './stop-signals.js';

const MIB = 1024 * 1024;

/** The copy of standard input, or why there is none: one line and the exit code. */
export type SpooledInput = { file: string; remove(): void } | { refused: string; code: number };

/**
 * Copies `input` to a new file only this user may read (0600, in a 0700 directory under the
 * temporary directory, TMPDIR), stopping past `maxMb` MiB (IMPORT_STDIN_MAX_MB). The copy is
 * removed by `remove`, and when the process exits however it ends (a stop signal included).
 */
export async function spoolStandardInput(
  input: NodeJS.ReadableStream,
  maxMb: number,
): Promise<SpooledInput> {
  const maxBytes = maxMb * MIB;
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-import-'));
  } catch (error) {
    return { refused: cannotKeep(os.tmpdir(), error), code: 1 };
  }
  const file = path.join(dir, 'standard-input.csv');
  const remove = () => {
    process.off('exit', remove);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', remove);
  const stop = (signal: Parameters<typeof stopNow>[0]) =>
    stopNow(
      signal,
      `suppressions import stopped by ${signal}: nothing is imported (standard input was still being read)`,
    );
  try {
    const copied = await whileRunning(stop, () => copy(input, file, maxBytes));
    if (copied === 'too large') {
      remove();
      return {
        refused: `Standard input holds more than ${maxMb} MiB (IMPORT_STDIN_MAX_MB): nothing is imported; import the list from its FILE, or raise IMPORT_STDIN_MAX_MB`,
        code: 2,
      };
    }
  } catch (error) {
    remove();
    const code = (error as { code?: string }).code;
    // Reading failed (EBADF: standard input closed; EISDIR: a directory) or writing did.
    if ((error as { reading?: boolean }).reading)
      return {
        refused: `Standard input could not be read (${code ?? 'error'}): nothing is imported`,
        code: 1,
      };
    return { refused: cannotKeep(os.tmpdir(), error), code: 1 };
  }
  // Nothing but white space: the answer of an empty file, before the database is opened.
  const empty = unusableFile(file, 'standard input');
  if (empty) {
    remove();
    return { refused: empty, code: 2 };
  }
  return { file, remove };
}

function cannotKeep(where: string, error: unknown): string {
  const code = (error as { code?: string }).code ?? 'error';
  return `Standard input could not be kept in ${where} while it is imported (${code}): nothing is imported; set TMPDIR to a directory with room, or import the list from its FILE`;
}

/** Copies `input` to `file` (made new, 0600), or stops at the first byte past `maxBytes`. */
async function copy(
  input: NodeJS.ReadableStream,
  file: string,
  maxBytes: number,
): Promise<'copied' | 'too large'> {
  const out = await fs.promises.open(file, 'wx', 0o600);
  let held = 0;
  try {
    const chunks = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw Object.assign(error as object, { reading: true });
      }
      if (next.done) return 'copied';
      const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      held += bytes.length;
      if (held > maxBytes) {
        // What is piped after is not waited for: the writer's next write fails (EPIPE).
        (input as { destroy?: () => void }).destroy?.();
        return 'too large';
      }
      // A write may take part of the bytes (a file size limit reached): the rest is written
      // again, so that the next one fails (EFBIG, ENOSPC) rather than the copy ending short.
      for (let at = 0; at < bytes.length;) {
        const { bytesWritten } = await out.write(bytes, at, bytes.length - at);
        if (bytesWritten === 0) throw Object.assign(new Error('no byte written'), { code: 'EIO' });
        at += bytesWritten;
      }
    }
  } finally {
    await out.close();
  }
}
