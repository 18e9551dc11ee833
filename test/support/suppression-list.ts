import type { SuppressionRow } from '../../src/domain/suppression.service.js';

/** A suppression list's rows, as a file with a header line would give them (from line 2). */
export async function* listRows(
  list: Array<Omit<SuppressionRow, 'line'>>,
): AsyncGenerator<SuppressionRow> {
  let line = 1;
  for (const r of list) yield { line: ++line, ...r };
}

/** A list of bare addresses, as listRows gives it. */
export const addressRows = (emails: string[]): AsyncGenerator<SuppressionRow> =>
  listRows(emails.map((email) => ({ email })));

/** A reference model's suppression lines as listRows gives them: a missing reason or date is no cell. */
export const lineRows = (
  list: Array<{ email: string; reason: string | undefined; date: string | undefined }>,
): AsyncGenerator<SuppressionRow> =>
  listRows(
    list.map((r) => ({
      email: r.email,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.date ? { date: r.date } : {}),
    })),
  );
