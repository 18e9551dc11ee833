/** How much of SQLite's first problem a refusal quotes. */
const FIRST_PROBLEM_CHARS = 160;

/** The line SQLite's integrity report opens with for each database it checked. */
const DATABASE_HEADING = /^\*\*\* in database \S+ \*\*\*$/;

/** quick_check's default limit: SQLite stops its report after this many problems. */
const REPORT_LIMIT = 100;

/**
 * SQLite's quick_check report (its rows, each one or more lines of problems, the first opened
 * by a heading line; `ok` alone when there is none) as one line: how many problems, and the
 * first one, shortened. The report as SQLite gives it spans a line per problem, which a
 * one-line refusal on the command line cannot hold. null: the file is sound.
 */
export function quickCheckLine(rows: readonly string[]): string | null {
  if (rows.length === 0 || (rows.length === 1 && rows[0] === 'ok')) return null;
  const problems = rows
    .flatMap((row) => row.split(/\r?\n/))
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '' && !DATABASE_HEADING.test(line));
  const first = problems[0] ?? 'no detail given';
  const shown =
    first.length > FIRST_PROBLEM_CHARS ? `${first.slice(0, FIRST_PROBLEM_CHARS - 1)}…` : first;
  const count =
    rows.length >= REPORT_LIMIT
      ? `${problems.length} or more problems`
      : problems.length === 1
        ? '1 problem'
        : `${problems.length} problems`;
  return `${count}, the first: ${shown}`;
}
