import fs from 'node:fs';
import os from 'node:os';
import type { DurableStatusService } from '../domain/durable-status.service.js';
import {
  LIST_DATE,
  type ImportCounts,
  type SuppressionRow,
  type SuppressionService,
} from '../domain/suppression.service.js';
import { parseDateTime } from '../formats/calendar-dates.js';
import { ErrorCode, isAppError, isDatabaseUnavailable } from '../errors.js';
import { validateEmail } from '../domain/email-key.js';
import { csvRows, UnreadableCsv, writeSuppressionCsv } from '../csv/suppression-csv.js';
import { progressBar, rejectsWriter } from './import-output.js';
import { type ArgumentSpec, unexpectedArgument, wordsOf } from './arguments.js';
import { setOneAddress } from './set-address.js';
import { plural, printable } from './printable.js';
import {
  STANDARD_INPUT,
  unusableFile,
  unusableRejectsFile,
  unusableStandardInput,
} from './import-file-checks.js';
import { signalExitCode, stopNow, whileRunning, type StopSignal } from './stop-signals.js';

/** Exit codes of `suppressions import`, as its --help lists them. */
export const IMPORT_EXIT = { ok: 0, rejected: 1, usage: 2 } as const;

/** Who runs the command, for the master status history: --actor, else the OS user. */
function commandActor(given: string | undefined): string {
  if (given !== undefined && given.trim() !== '') return given.trim().slice(0, 64);
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/**
 * The rows until a stop signal (SIGINT, SIGTERM, SIGHUP: a closed terminal stops it as the
 * others do) asks to stop: the batch in hand is still written (what was read is either
 * imported or not, never half), then the import ends with one line saying how many rows are
 * stored. A second signal stops at once, that line saying what the batches committed by then
 * hold; committed batches stay either way.
 */
function untilSignalled(
  rows: AsyncIterable<SuppressionRow>,
  stoppedNow: (signal: StopSignal) => string,
): {
  rows: AsyncIterable<SuppressionRow>;
  stoppedBy(): StopSignal | null;
  handle(signal: StopSignal): void;
} {
  let stoppedBy: StopSignal | null = null;
  return {
    rows: (async function* () {
      for await (const row of rows) {
        if (stoppedBy) return;
        yield row;
      }
    })(),
    stoppedBy: () => stoppedBy,
    handle: (signal) => {
      if (stoppedBy) stopNow(signal, stoppedNow(signal));
      stoppedBy = signal;
    },
  };
}

async function importSuppressions(
  service: SuppressionService,
  /** What the command was given: FILE, or "-" for standard input. */
  source: string,
  /** What is read: FILE itself, or the private copy of standard input. */
  file: string,
  options: {
    dryRun: boolean;
    /** Where rejected lines go (none: a dry run without --rejects). */
    rejectsFile?: string;
    actor: string;
    out: NodeJS.WritableStream;
    err: NodeJS.WriteStream;
    /** What a write lock another process kept past the busy timeout is said as (cli/index.ts). */
    lockWait?: (error: unknown) => Error | null;
    /** IMPORT_MAX_ROW_CHARS: the longest line read. */
    maxRowChars?: number;
  },
): Promise<number> {
  const stdin = source === STANDARD_INPUT;
  const name = stdin ? 'standard input' : file;
  const unusable = unusableFile(file, name);
  if (unusable) {
    options.err.write(`${unusable}\n`);
    return IMPORT_EXIT.usage;
  }
  const total = fs.statSync(file).size;
  // A dry run writes nothing unless asked to; a real run writes rejects only if there are any.
  const rejectsFile = options.rejectsFile;
  const rejectsUnusable =
    rejectsFile === undefined ? null : unusableRejectsFile(source, rejectsFile);
  if (rejectsUnusable) {
    options.err.write(`${rejectsUnusable}\n`);
    return IMPORT_EXIT.usage;
  }
  const rejects = rejectsFile === undefined ? undefined : rejectsWriter(rejectsFile);
  const tty = options.err.isTTY === true;
  const progress = { bytes: 0, notLifted: 0 };
  const draw = tty ? progressBar(options.err, total, () => progress.bytes) : undefined;
  // The counts as of the last batch written: what stays when the file turns unreadable later.
  let written: ImportCounts | undefined;
  const stored = (c: ImportCounts | undefined) =>
    options.dryRun
      ? `the first ${plural(c?.rows ?? 0, 'row', 'rows')} of ${name} are counted, nothing is stored (a dry run)`
      : `the first ${plural(c?.rows ?? 0, 'row', 'rows')} of ${name} are imported and stored (${plural(c?.suppressed ?? 0, 'address', 'addresses')} suppressed); the rest is not: ${stdin ? 'piping the same list in' : 'running the same command'} again finishes it`;
  const stoppable = untilSignalled(
    csvRows(file, progress, options.maxRowChars),
    (signal) => `suppressions import stopped by ${signal}: ${stored(written)}`,
  );
  const importRows = () =>
    service.import(stoppable.rows, {
      dryRun: options.dryRun,
      actor: options.actor,
      onReject: (r) => rejects?.write(r),
      onProgress: (c) => {
        // A copy: the service goes on counting the rows it reads into its next batch, which
        // are not stored until that batch commits.
        written = { ...c };
        draw?.(c);
      },
    });
  const closeRejects = async () => rejects?.close();
  let counts: Awaited<ReturnType<SuppressionService['import']>>;
  try {
    counts = await whileRunning(stoppable.handle, importRows);
  } catch (error) {
    // The file stops where it is unreadable; what was imported so far stays (re-runs are idempotent).
    await closeRejects();
    if (!(error instanceof UnreadableCsv) && !isAppError(error)) throw error;
    // The database lost mid-import: how far it got, as a signal's stop says it.
    const upTo = isDatabaseUnavailable(error) ? `: ${stored(written)}` : '';
    const locked = options.lockWait?.(error) ?? null;
    options.err.write(`${tty ? '\n' : ''}${(locked ?? (error as Error)).message}${upTo}\n`);
    if (error instanceof UnreadableCsv && written)
      options.err.write(
        `Before it: ${plural(written.rows, 'row', 'rows')}; ${plural(written.suppressed, 'address', 'addresses')} ${options.dryRun ? 'would be ' : ''}suppressed, ${written.rejected} rejected.\n`,
      );
    return IMPORT_EXIT.rejected;
  }
  await closeRejects();
  if (tty) options.err.write('\n');
  const rejectsError = rejects?.error;
  if (rejectsError) {
    const code = (rejectsError as { code?: string }).code ?? rejectsError.message;
    options.err.write(`Rejected lines could not all be written to ${rejectsFile} (${code})\n`);
  }
  const would = options.dryRun ? 'would be ' : '';
  const where =
    counts.rejected && rejectsFile !== undefined
      ? ` (see ${rejectsFile})`
      : counts.rejected
        ? ' (add --rejects FILE to list them)'
        : '';
  options.out.write(
    `${options.dryRun ? 'Dry run (nothing written): ' : ''}${plural(counts.rows, 'row', 'rows')}; ` +
      `${plural(counts.suppressed, 'address', 'addresses')} ${would}suppressed, ` +
      `${counts.alreadySuppressed} already suppressed, ` +
      `${plural(counts.peopleUnsubscribed, 'person', 'people')} ${would}unsubscribed, ` +
      `${counts.rejected} rejected${where}` +
      (progress.notLifted > 0
        ? `; ${plural(progress.notLifted, 'line', 'lines')} not imported (unsubscribed false: import never lifts)`
        : '') +
      '.\n',
  );
  const signal = stoppable.stoppedBy();
  if (signal) {
    options.err.write(`suppressions import stopped by ${signal}: ${stored(counts)}\n`);
    return signalExitCode(signal);
  }
  return counts.rejected > 0 ? IMPORT_EXIT.rejected : IMPORT_EXIT.ok;
}

async function exportSuppressions(
  service: SuppressionService,
  since: number,
  out: NodeJS.WritableStream,
): Promise<number> {
  let written = 0;
  const counted = (async function* () {
    for await (const status of service.export(since)) {
      yield status;
      written++;
    }
  })();
  // What was written cannot be taken back from standard output: the line says it is cut short.
  const stop = (signal: StopSignal) =>
    stopNow(
      signal,
      `suppressions export stopped by ${signal}: the CSV written to standard output is incomplete (${written} of the statuses); run it again`,
    );
  return whileRunning(stop, () => writeSuppressionCsv(counted, out));
}

export const SUPPRESSIONS_HELP = `Usage: durable-unsubscribe suppressions import FILE [--dry-run] [--rejects FILE] [--actor NAME]
       durable-unsubscribe suppressions import - --rejects FILE [--dry-run] [--actor NAME]
       durable-unsubscribe suppressions export [--since DATE]
       durable-unsubscribe suppressions add EMAIL --reason TEXT [--actor NAME]
       durable-unsubscribe suppressions remove EMAIL --reason TEXT [--actor NAME]

"import" reads a CSV with a header line: email, and optionally reason, source, date (ISO 8601:
when the person opted out), each named once. Every valid address becomes unsubscribed in the master status, even
with no person yet; people holding it are unsubscribed by the normal rules. Rejected lines (bad
address, duplicate, a date that is not ISO 8601 or is in the future, a control character in reason or source) go to FILE.rejects.csv (or --rejects FILE); rows of empty cells are skipped
like empty lines. The file is UTF-8 (with or without a byte-order mark) or UTF-16 (Excel's
"Unicode Text"); a line holding bytes that are not UTF-8 (Windows-1252, Excel's "CSV" on
Windows) is rejected whole, to be saved as UTF-8 and imported again; fields are separated by commas, or by semicolons or tabs when the header line
is (Excel in some locales; "Unicode Text"). A repeat of one of the first 2,000,000 distinct addresses is rejected as a
duplicate; past them (memory stays bounded) a repeat counts as already suppressed. --dry-run reports what
would change and writes nothing at all (rejects only with an explicit --rejects). Running the
same import twice changes nothing the second time. A file written by "export" can be read back:
its lines with unsubscribed=false (lifted addresses; also 0, no, or a spreadsheet's
translation of false such as FALSCH or FAUX) are skipped, as import never lifts; a line whose
unsubscribed cell says neither true nor false is rejected.
Exit codes: 0 every line imported; 1 some lines were rejected, the file could not be read or
the database failed (what was imported stays); 2 bad arguments, or a file that is missing, empty or a directory,
or a rejects file that cannot be written; 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (a
closed terminal: the rows read by then are imported, one line says how many; a second signal
stops at once, what was committed by then stays).
"import -" reads the CSV from standard input (zcat list.csv.gz | ... import - --rejects FILE),
by the same rules: read to its end into a private file under TMPDIR first (at most
IMPORT_STDIN_MAX_MB, else exit 2 and nothing imported), removed however the command ends. A
real run needs --rejects FILE; a terminal on standard input (nothing piped) or empty input is
exit 2.

"export" writes the master status as CSV (email,unsubscribed,reason,source,date) to stdout.
--since DATE (ISO 8601: 2026-01-31, 2026-01-31T10:00:00Z; no offset is UTC) lists only
statuses recorded at or after DATE (a backdated import recorded since then is included);
an export holds every status recorded before it started: for a second record of every
opt-out, give when the last one started, less a few minutes (docs/operations.md). Cells starting with = + - @ or their full-width forms
(first or behind leading blanks), a tab, a carriage return, a line feed or NUL get a leading
apostrophe, so spreadsheets never run them as formulas (and a value that starts with
apostrophes before one of them, one more), so "import" reads every cell back as it was.

"add" suppresses one address (everyone holding it is unsubscribed); "remove" lifts it
(everyone holding it is resubscribed), even a suppression whose reason PROTECTED_REASONS names:
the command line is an operator's path. Both need --reason, kept in the address's history.
A "remove" that finds Salesforce still holding the address opted out beneath the suppression
(a record reported so since the address was last subscribed) lifts nothing: the address shows
that opt-out instead, one line on standard error says so, and the exit code is 1; "remove"
again lifts it.

Each change records who made it: --actor NAME, else the operating-system user.`;

function option(args: readonly string[], name: string): string | undefined | null {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  return value === undefined || value.startsWith('--') ? null : value;
}

/** What each action takes (its own word and FILE or EMAIL included). */
const ACTIONS: Record<string, ArgumentSpec> = {
  import: { switches: ['--dry-run'], valued: ['--rejects', '--actor'], words: 2 },
  export: { valued: ['--since'], words: 1 },
  add: { valued: ['--reason', '--actor'], words: 2 },
  remove: { valued: ['--reason', '--actor'], words: 2 },
};

/**
 * The rejects file of an import: --rejects, else beside the file (none in a dry run, nor for
 * standard input, which has no name to put it beside).
 */
function rejectsFileOf(args: readonly string[], file: string): string | undefined {
  const given = option(args, '--rejects') ?? undefined;
  const beside = file === STANDARD_INPUT ? undefined : `${file}.rejects.csv`;
  return args.includes('--dry-run') ? given : (given ?? beside);
}

/** `--since DATE` as a time (0 without it), or undefined when it is no date. */
function sinceOf(args: readonly string[]): number | undefined {
  const since = option(args, '--since');
  // The dates an import reads, not Date.parse's: "--since 12" was 2001-12-01.
  return since === undefined || since === null ? 0 : parseDateTime(since.trim(), LIST_DATE);
}

/**
 * Why `args` are wrong usage of `suppressions` (exit 2): one line, or the help when no action
 * is understood; null when they are not. Checked before the database is opened, so a mistake
 * creates nothing: a file that cannot be imported or a rejects file that cannot be written
 * (it is opened only at the first rejected line) included.
 */
export function suppressionsUsageError(args: readonly string[]): string | null {
  const action = args[0];
  const spec = action === undefined ? undefined : ACTIONS[action];
  for (const flag of ['--since', '--rejects', '--actor', '--reason'])
    if (option(args, flag) === null) return `${flag} needs a value`;
  if (!spec) return SUPPRESSIONS_HELP;
  const unexpected = unexpectedArgument(`suppressions ${action}`, args, spec);
  if (unexpected) return unexpected;
  if (action === 'export')
    return sinceOf(args) === undefined
      ? `--since: "${option(args, '--since')}" is not a date (ISO 8601, e.g. 2026-01-31)`
      : null;
  // FILE or EMAIL: the first word after the action, wherever the options are.
  const target = wordsOf(args, spec)[1];
  if (!target) return SUPPRESSIONS_HELP;
  if (action === 'import') {
    const rejects = rejectsFileOf(args, target);
    const input =
      target === STANDARD_INPUT
        ? unusableStandardInput(rejects, args.includes('--dry-run'))
        : unusableFile(target);
    return input ?? (rejects === undefined ? null : unusableRejectsFile(target, rejects));
  }
  const reason = option(args, '--reason');
  if (!reason || reason.trim() === '')
    return `suppressions ${action} needs --reason TEXT (kept in the address's history)`;
  try {
    validateEmail(target);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return `${printable(target)}: ${error.message}`;
  }
  return null;
}

/** Whether `args` (usage checked) import standard input: `suppressions import -`. */
export function importsStandardInput(args: readonly string[]): boolean {
  return args[0] === 'import' && wordsOf(args, ACTIONS.import!)[1] === STANDARD_INPUT;
}

/** `suppressions …`: returns the exit code. */
export async function runSuppressionsCommand(
  args: readonly string[],
  services: { suppressions: SuppressionService; durableStatus: DurableStatusService },
  io: {
    out: NodeJS.WriteStream;
    err: NodeJS.WriteStream;
    /** `import -`: the private copy of standard input (spoolStandardInput), read in its place. */
    standardInput?: string;
    /** What a write lock another process kept past the busy timeout is said as (cli/index.ts). */
    lockWait?: (error: unknown) => Error | null;
    /** IMPORT_MAX_ROW_CHARS: the longest line an import reads. */
    maxRowChars?: number;
  },
): Promise<number> {
  const usage = suppressionsUsageError(args);
  if (usage) {
    io.err.write(`${usage}\n`);
    return IMPORT_EXIT.usage;
  }
  const action = args[0]!;
  const target = wordsOf(args, ACTIONS[action]!)[1]!;
  const actor = commandActor(option(args, '--actor') ?? undefined);
  if (action === 'import')
    return importSuppressions(services.suppressions, target, io.standardInput ?? target, {
      dryRun: args.includes('--dry-run'),
      rejectsFile: rejectsFileOf(args, target),
      actor,
      out: io.out,
      err: io.err,
      lockWait: io.lockWait,
      maxRowChars: io.maxRowChars,
    });
  if (action === 'export') return exportSuppressions(services.suppressions, sinceOf(args)!, io.out);
  try {
    return await setOneAddress(services.durableStatus, target, action === 'add', {
      reason: option(args, '--reason')!.trim().slice(0, 1000),
      actor,
      out: io.out,
      err: io.err,
    });
  } catch (error) {
    // A reason the rules refuse (a control character in it): a wrong command line. The
    // database failing under it is not (exit 1, said by the caller).
    if (!isAppError(error) || error.code === ErrorCode.DATABASE_UNAVAILABLE) throw error;
    io.err.write(`${printable(target)}: ${error.message}\n`);
    return IMPORT_EXIT.usage;
  }
}
