import { parseDateTime, type DateForm } from '../formats/calendar-dates.js';
import { AppError } from '../errors.js';
import { ChangePaths } from './change-paths.js';
import { emailKey, validateEmail } from './email-key.js';
import { shortenedReason } from './status-reasons.js';
import { STORED_TEXT_CONTROL } from './stored-text.js';

/**
 * A suppression list's lines as the import reads them: what makes one rejected, and what of
 * it is written (SuppressionService.import).
 */

/**
 * What a decoder puts for bytes that are not UTF-8 (a list saved as Latin-1 or Windows-1252)
 * or for a lone UTF-16 surrogate: an address holding it is a mangled one (suppressing it would
 * leave the real address subscribed), and a reason or source holding it would be stored
 * corrupted ("über" as "\ufffdber"), so the whole line is rejected, never imported in part.
 */
const NOT_DECODED = '\ufffd';

/** The first cell of a row (in file order) holding undecoded bytes, by its column's name. */
function undecodedCell(row: SuppressionRow): string | undefined {
  const cells: Array<[string, string | undefined]> = [
    ['address', row.email],
    ['reason', row.reason],
    ['source', row.source],
    ['date', row.date],
    ['unsubscribed column', row.unreadFlag],
  ];
  return cells.find(([, v]) => v?.includes(NOT_DECODED))?.[0];
}

/** Longest address a rejected line repeats: its line number names it; the rest is cut. */
const REJECT_EMAIL_CHARS = 320;

/**
 * What a rejected address may not repeat as it is: control characters, C1 included (PostgreSQL's
 * text refuses NUL: the console import's rejects could not be saved, and the job never
 * finished; U+0085 is a line break to some tools), line and paragraph separators, and the
 * bidirectional controls (after U+202E a terminal or an editor shows the rest of the rejects
 * line reversed).
 */
const NOT_REPEATED =
  // eslint-disable-next-line no-control-regex -- the control characters are what is replaced
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A rejected line's address as the rejects list keeps it: bounded (a 50 MiB "address" was
 * copied whole into the rejects file and the console's table), each NOT_REPEATED character
 * shown as U+FFFD.
 */
export function rejectedAddress(email: string): string {
  const cut = email.length > REJECT_EMAIL_CHARS ? `${email.slice(0, REJECT_EMAIL_CHARS)}…` : email;
  return cut.replace(NOT_REPEATED, '\ufffd');
}

/** One line of a suppression list, as read from the file. */
export interface SuppressionRow {
  line: number;
  email: string;
  reason?: string;
  source?: string;
  date?: string;
  /** An `unsubscribed` cell that says neither true nor false: the line is rejected. */
  unreadFlag?: string;
  /** Text after a closing quote (`"a@b.example"x`): what a cell was meant to hold is unknown. */
  misquoted?: boolean;
}

export interface SuppressionReject {
  line: number;
  email: string;
  why: string;
}

/** A suppression list's date: as ISO 8601 and its usual spreadsheet shapes; no offset is UTC. */
export const LIST_DATE: DateForm = {
  dateOnly: true,
  loose: true,
  secondsOptional: true,
  zoneRequired: false,
};

const MAX_REASON = 1000;
const MAX_SOURCE = 100;

/**
 * A source as a list gives it, less the " (actor)" this import appends to it
 * (masterStatusSource): an export of this service imported again by the same actor (a
 * restore, a copy between databases, a nightly sync) then records the source it had, where
 * every round trip added another " (actor)".
 */
function withoutActor(source: string, actor: string | undefined): string {
  const suffix = actor ? ` (${actor})` : '';
  return suffix && source.endsWith(suffix) && source.length > suffix.length
    ? source.slice(0, -suffix.length).trimEnd()
    : source;
}

/** The import's own source: the default of a line that gives none. */
const IMPORT_SOURCE = ChangePaths.suppressionImport().source;

/** The sources of the other paths (lower case), as their master statuses begin. */
const PATH_SOURCES = [
  ...new Set(
    Object.values(ChangePaths)
      .map((make) => make().source.toLowerCase())
      .filter((s) => s !== IMPORT_SOURCE.toLowerCase()),
  ),
];

/**
 * A list's source as the import records it: one that names another path as that path's master
 * statuses are written (`Salesforce`, `Salesforce (00D…)`, `Unsubscribe link (link …, page)`,
 * in any case) is said to be the list's (`Suppression import: Salesforce`). Some rules read a
 * status's source to tell who made it (acknowledged-opt-outs.ts: Salesforce's own, which a late
 * untick may lift; a link page's, which its undo may lift): a list must not claim those.
 */
function asImported(source: string): string {
  const lower = source.toLowerCase();
  const named = PATH_SOURCES.some((p) => lower === p || lower.startsWith(`${p} (`));
  return named ? `${IMPORT_SOURCE}: ${source}` : source;
}

/**
 * What no address holds outside a quoted local part or a domain literal, and a cell holds when
 * it is not one address as written but one wrapped (`<ann@example.com>`, as mail headers and
 * mail clients write it) or two (`ann@example.com;bob@example.com`).
 */
const NOT_IN_ADDRESS = /[<>;,]/;
/** A `mailto:` link's scheme, as a key reads it (lower case). */
const MAILTO = 'mailto:';

/**
 * What makes an email key a wrapped address or a list of them, outside its quoted local part
 * and its domain literal: `mailto:` or a NOT_IN_ADDRESS character; undefined when nothing does.
 * Read on the key: its fold makes a full-width '＜' the '<' it stands for.
 */
function outsideAddress(key: string): string | undefined {
  if (key.startsWith(MAILTO)) return MAILTO;
  let bare = key;
  const closing = bare.startsWith('"') ? bare.lastIndexOf('"@') : -1;
  if (closing > 0) bare = bare.slice(closing + 1);
  const at = bare.lastIndexOf('@');
  if (bare.startsWith('[', at + 1) && bare.endsWith(']')) bare = bare.slice(0, at + 1);
  return NOT_IN_ADDRESS.exec(bare)?.[0];
}

/** A list's line as the import writes it. */
export interface ImportEntry {
  key: string;
  reason: string | null;
  source: string;
  at: number;
  /**
   * What makes the address not one address as written (outsideAddress: `<`, `mailto:`, a `;`
   * between two), if anything: the import takes it only where that spelling is held already.
   */
  wrapped?: string;
}

/**
 * `row` as the import writes it (before the check for repeats), or why it is rejected. `now`
 * dates a row that gives no date of its own.
 */
export function importEntry(
  row: SuppressionRow,
  now: () => number,
  actor: string | undefined,
  /** The protected word a reason names (PROTECTED_REASONS): kept when the reason is cut. */
  protectedWord: (reason: string | null) => string | null = () => null,
): ImportEntry | string {
  const undecoded = undecodedCell(row);
  if (undecoded !== undefined) return `the ${undecoded} is not UTF-8 text (save the file as UTF-8)`;
  // Neither imported (it may be a lifted address) nor skipped unseen (it may be an opt-out).
  if (row.unreadFlag !== undefined) return 'the unsubscribed column says neither true nor false';
  // Neither guessed at (the address may be cut wrong) nor the end of the list.
  if (row.misquoted)
    return 'text follows a closing quote (a quote inside a quoted cell is written twice: "")';
  let email: string;
  try {
    email = validateEmail(row.email);
  } catch (error) {
    return error instanceof AppError ? error.message : 'bad address';
  }
  if (STORED_TEXT_CONTROL.test(row.reason ?? '') || STORED_TEXT_CONTROL.test(row.source ?? ''))
    return 'reason or source holds a control character';
  const key = emailKey(email);
  let at = now();
  if (row.date !== undefined && row.date.trim() !== '') {
    const given = parseDateTime(row.date.trim(), LIST_DATE);
    // When the person opted out cannot be after the list was loaded: a future date would
    // sort the suppression after every later change to the address.
    if (given === undefined)
      return 'date is not an ISO 8601 date or date-time (a real day of the years 0001-9999)';
    if (given > at) return 'date is in the future';
    at = given;
  }
  const reason = row.reason?.trim()
    ? shortenedReason(row.reason.trim(), MAX_REASON, protectedWord)
    : null;
  const source = row.source?.trim()
    ? asImported(withoutActor(row.source.trim(), actor)).slice(0, MAX_SOURCE)
    : IMPORT_SOURCE;
  const wrapped = outsideAddress(key);
  return wrapped === undefined ? { key, reason, source, at } : { key, reason, source, at, wrapped };
}

/**
 * Why a line whose address is not one address as written (ImportEntry.wrapped) is rejected
 * when nobody holds that spelling.
 */
export function notOneAddress(wrapped: string): string {
  return `not one address as written (${wrapped}): write the address alone, without <> around it or mailto: before it, one address per line`;
}
