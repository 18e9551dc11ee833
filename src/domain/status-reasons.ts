/**
 * The reasons of suppressions as the rules and people read them: which reasons are protected
 * (only an operator lifts them), and how a lifted suppression is told.
 */

import { AppError, ErrorCode } from '../errors.js';

/**
 * The words protected unless PROTECTED_REASONS says otherwise: a complaint as the sending
 * platforms and feedback loops name it. "complaint" (Amazon SES, Postmark's SpamComplaint,
 * SparkPost's spam_complaint), "complained" (Mailgun's event), "spam report" (SendGrid's
 * spamreport) and "abuse" (the feedback type of an ARF report, as mailbox providers' feedback
 * loops send it). None of them is in an ordinary opt-out's or bounce's reason.
 */
export const DEFAULT_PROTECTED_REASONS: readonly string[] = [
  'complaint',
  'complained',
  'spam report',
  'abuse',
];

/** How PROTECTED_REASONS says that no reason is protected. */
export const NO_PROTECTED_REASONS = 'none';

/** PROTECTED_REASONS as written (comma-separated words, or `none`): the words, lower case. */
export function parseProtectedReasons(raw: string): string[] {
  if (raw.trim().toLowerCase() === NO_PROTECTED_REASONS) return [];
  return raw
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter((r) => r !== '');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A lower-case letter then an upper-case one: where two words of a CamelCase name meet. */
const CASE_BOUNDARY = /(\p{Ll})(\p{Lu})/gu;
/**
 * An upper-case letter then a capitalised word: where an abbreviation that starts a CamelCase
 * name ends ("ISPComplaint": ISP, Complaint).
 */
const ABBREVIATION_END = /(\p{Lu})(?=\p{Lu}\p{Ll})/gu;

// Anything but printable ASCII: only such a reason can hold a compatibility form.
const NOT_ASCII = /[^ -~]/;

/**
 * A reason as its words are matched: compatibility forms read as the letters they stand for
 * (NFKC: full-width "ＣＯＭＰＬＡＩＮＴ", as East Asian input methods type it, is "COMPLAINT"),
 * CamelCase names split into words, lower case.
 */
const matchedText = (reason: string) =>
  (NOT_ASCII.test(reason) ? reason.normalize('NFKC') : reason)
    .replace(CASE_BOUNDARY, '$1 $2')
    .replace(ABBREVIATION_END, '$1 ')
    .toLowerCase();

/**
 * A word of PROTECTED_REASONS as matched, its plural s left to the pattern: a setting written
 * in the plural (`complaints`) then protects "Complaint" too, where it protected only reasons
 * in the plural (an easy slip that left every singular complaint liftable by any path). Words
 * of three letters or fewer keep their s.
 */
const singularPattern = (word: string) => {
  const w = word.toLowerCase();
  return wordsPattern(w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w);
};

/** Between the words of a protected phrase: nothing, a space, an underscore, a hyphen or a dot. */
const PHRASE_GAP = '[\\s_.-]*';

/**
 * A protected phrase ("spam report") as matched: its words written apart in any of the ways
 * names are ("spam report", "spam_report", "spam-report", "SpamReport") or run together
 * ("spamreport", as SendGrid names the event).
 */
const wordsPattern = (phrase: string) =>
  phrase
    .split(/[\s_.-]+/)
    .filter((w) => w !== '')
    .map(escapeRegExp)
    .join(PHRASE_GAP);

/**
 * The first of `words` (PROTECTED_REASONS) a suppression's reason names, as matched (lower
 * case, a plural s kept), or null: as whole words, in any case, a plural s included ("Spam
 * complaints" names "complaint"), the words of a CamelCase name too ("SpamComplaint", as mail
 * providers' suppression exports name complaints; and "ISPComplaint", whose first word is an
 * abbreviation), and the end of a name written as one word ("SPAMCOMPLAINT", "fblcomplaint"),
 * where no capital tells its words apart: read as whole words only, such a
 * complaint was a plain opt-out that any integration's re-subscribe lifted. A word that goes
 * on past a protected one ("complainant") does not name it.
 */
export function protectedWordFinder(
  words: readonly string[],
): (reason: string | null) => string | null {
  if (words.length === 0) return () => null;
  const pattern = new RegExp(
    `(?:${words.map(singularPattern).join('|')})s?(?![\\p{L}\\p{N}])`,
    'u',
  );
  return (reason) => (reason === null ? null : (pattern.exec(matchedText(reason))?.[0] ?? null));
}

/** Whether a suppression's reason names one of `words` (protectedWordFinder). */
export function protectedReasonMatcher(
  words: readonly string[],
): (reason: string | null) => boolean {
  const find = protectedWordFinder(words);
  return (reason) => find(reason) !== null;
}

/**
 * `reason` cut to `max` characters. A protected word it names only past them is written at the
 * end of the cut (`… complaint`): cut off, it left a complaint a plain opt-out that any path's
 * re-subscribe lifts.
 */
export function shortenedReason(
  reason: string,
  max: number,
  protectedWord: (reason: string | null) => string | null,
): string {
  if (reason.length <= max) return reason;
  const cut = reason.slice(0, max);
  const word = protectedWord(reason);
  if (word === null || protectedWord(cut) !== null) return cut;
  const tail = `\u2026 ${word}`;
  return `${reason.slice(0, max - tail.length).trimEnd()}${tail}`;
}

/** The day of an instant, as suppressions are told (2026-03-01, UTC). */
export const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The refusal of a path that is not an operator's to lift an unsubscribe with a protected
 * `reason`: of an address, made at `at`, or of a person without one (`at` null).
 */
export function refusedLift(
  reason: string | null,
  at: number | null,
  what = 'the person, without an address,',
): AppError {
  const when = at === null ? '' : ` on ${day(at)}`;
  return new AppError(
    ErrorCode.LEAD_SYNC_FAILED,
    `Not re-subscribed: ${what} was unsubscribed${when} for "${(reason ?? '').slice(0, 100)}", a reason in PROTECTED_REASONS; only an operator (person page or command line) may lift it`,
  );
}

/**
 * The refusal of a path that is not an operator's to replace the protected `reason` of an
 * unsubscribed person without an address by one that is not protected: the column is all that
 * keeps that opt-out (no master status does), and a plain one any re-subscribe lifts.
 */
export function refusedReasonChange(reason: string | null): AppError {
  return new AppError(
    ErrorCode.LEAD_SYNC_FAILED,
    `Not changed: the person, without an address, was unsubscribed for "${(reason ?? '').slice(0, 100)}", a reason in PROTECTED_REASONS; only an operator (person page or command line) may replace it`,
  );
}

/** "a complaint suppression of 2026-03-01": what a re-subscribe lifted, for people to read. */
export function liftedText(status: { liftedReason?: string | null; liftedAt?: number | null }) {
  if (status.liftedAt === null || status.liftedAt === undefined) return null;
  const reason = status.liftedReason?.trim();
  const when = day(status.liftedAt);
  if (!reason) return `lifted a suppression of ${when}`;
  // A one-word reason reads as a kind ("a complaint suppression"); a sentence is quoted.
  if (/^[\p{L}-]{1,40}$/u.test(reason)) {
    const article = /^[aeiou]/i.test(reason) ? 'an' : 'a';
    return `lifted ${article} ${reason} suppression of ${when}`;
  }
  return `lifted a suppression of ${when} ("${reason.slice(0, 100)}")`;
}
