import { type Setting, integer } from './parse.js';

/** The command line's own limits. */
export const cliSettings = {
  importStdinMaxMb: {
    env: 'IMPORT_STDIN_MAX_MB',
    default: '1024',
    meaning:
      'Largest CSV "suppressions import -" reads from standard input, in MiB (kept in a private file under TMPDIR until imported); larger is refused with nothing imported',
    parse: integer('IMPORT_STDIN_MAX_MB', 1, 1048576),
  },
} satisfies Record<string, Setting<unknown>>;
