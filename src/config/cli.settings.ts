import { type Setting, integer } from './parse.js';

/** The command line's own limits, and the suppression CSV's (the console reads it too). */
export const cliSettings = {
  importStdinMaxMb: {
    env: 'IMPORT_STDIN_MAX_MB',
    default: '1024',
    meaning:
      'Largest CSV "suppressions import -" reads from standard input, in MiB (kept in a private file under TMPDIR until imported); larger is refused with nothing imported',
    parse: integer('IMPORT_STDIN_MAX_MB', 1, 1048576),
  },
  importMaxRowChars: {
    env: 'IMPORT_MAX_ROW_CHARS',
    default: '1048576',
    meaning:
      'Longest line of a suppression CSV, in characters ("suppressions import" and the /admin import page alike); a longer line stops the import there, the rows before it kept',
    parse: integer('IMPORT_MAX_ROW_CHARS', 4096, 67108864),
  },
} satisfies Record<string, Setting<unknown>>;
