import { ChangePaths, type ChangePath } from './change-paths.js';
import type { EmailStatusRecord } from './records.js';

/**
 * An opt-out stated of an address that is unsubscribed already: rule 7 changes no person and
 * logs nothing, yet what was acknowledged must not be lost. The master status records it (a new
 * status and its history row, nobody follows) when leaving it out would let it be undone:
 *
 * - a protected reason (PROTECTED_REASONS) the status lacks: a complaint reported after a plain
 *   unsubscribe would otherwise be lifted by any path's re-subscribe;
 * - any opt-out, by another path (another link, or a mailbox provider's one-click POST of the
 *   same link), of an address whose status a link's page made: the page's undo lifts only its
 *   own unsubscribe, still the latest of the address, and would otherwise lift this later one;
 * - any opt-out, by another path, of an address whose status Salesforce made, and any opt-out
 *   by any path but Salesforce (the same web service again too) of an address a Salesforce
 *   record of which has been reported opted out (EmailStatusRecord.optOutsRecordedSince): a
 *   re-subscribe made in Salesforce before this opt-out but delivered after it is refused only
 *   if the status shows an opt-out newer than it (keepNewerOptOut, newer-opt-out.ts).
 *   Salesforce's own opt-outs are dated by their records' change order, not here;
 * - a person's own opt-out by the web service or a link of an address whose status an operator
 *   or an import made (not statedByPerson: the console, the command line, a bulk change, a
 *   suppression list's line, whatever source it gives): an operator who lifts that suppression
 *   (a bounce thought resolved) would otherwise lift this opt-out too, never shown it. Once
 *   recorded the status is the person's own, so no other path's restating writes again, and
 *   the same path's never does. Not Salesforce's: a status Salesforce made is lifted by a later
 *   untick of its record (its change order), so taking an import's over would let that untick
 *   lift the import's suppression, which it otherwise refuses (optOutsRecordedSince). Its
 *   opt-out is not lost for that: the record's report is kept (salesforce_records), and an
 *   operator's lift of the other path's status finds it there and shows it in place of the lift
 *   (salesforce-beneath.ts), as it does one an import's suppression took the status over from.
 */
export interface OptOutStatement {
  key: string;
  /** The change says Unsubscribed=true (not only a reason for the person's opt-out). */
  optOut: boolean;
  /** The reason given; null: the path's. */
  reason: string | null;
  path: ChangePath;
  /** The person whose change states it, if any. */
  causedBy: number | null;
  now: number;
}

const LINK_SOURCE = ChangePaths.unsubscribeLink().source;
const SALESFORCE_SOURCE = ChangePaths.salesforce().source;
/**
 * The paths by which a person states their own opt-out: the integrations that relay it (the
 * web service, Salesforce) and the person's link. Every other source is an operator's (address
 * or person page, command line, bulk change) or an import's (its own source, or the one a
 * list's line gives: never one of these, suppression-rows.ts asImported).
 */
const PERSON_SOURCES = [ChangePaths.webService().source, SALESFORCE_SOURCE, LINK_SOURCE];
const PAGE_MARK = ', page';

/**
 * Who made a link's change, as its master status source names it: the link, and whether it
 * was its page (the one whose unsubscribe the person may undo).
 */
export function linkActor(linkId: string, page: boolean): string {
  return `link ${linkId}${page ? PAGE_MARK : ''}`;
}

/** An unsubscribe made on a link's page: the only one an unauthenticated undo may lift. */
export function undoableByLink(
  status: Pick<EmailStatusRecord, 'unsubscribed' | 'source'> | null | undefined,
): boolean {
  return (
    status?.unsubscribed === true &&
    status.source.startsWith(`${LINK_SOURCE} (`) &&
    status.source.endsWith(`${PAGE_MARK})`)
  );
}

/** A re-subscribe made on a link's page: the undo of that link's own unsubscribe. */
export function liftedByLink(status: Pick<EmailStatusRecord, 'unsubscribed' | 'source'>): boolean {
  return status.unsubscribed === false && status.source.startsWith(`${LINK_SOURCE} (`);
}

/**
 * Whether `statement`, made of an address whose status is `current`, must be recorded in the
 * master status although the address is unsubscribed already. `source`: the master status
 * source the statement would write (masterStatusSource of its path).
 */
export function mustRecordOptOut(
  current: EmailStatusRecord | null | undefined,
  statement: Pick<OptOutStatement, 'optOut' | 'reason' | 'path'>,
  source: string,
  isProtected: (reason: string | null) => boolean,
): boolean {
  if (current?.unsubscribed !== true) return false;
  const guarded = isProtected(current.reason);
  if (!guarded && isProtected(statement.reason ?? statement.path.reason)) return true;
  // A protected status is lifted by an operator alone: nothing later needs to be told from it.
  if (guarded || !statement.optOut) return false;
  if (current.optOutsRecordedSince !== undefined && statement.path.source !== SALESFORCE_SOURCE)
    return true;
  if (current.source === source) return false;
  if (undoableByLink(current) || madeBySalesforce(current)) return true;
  const stated = statement.path.source;
  return stated !== SALESFORCE_SOURCE && statedByPerson(stated) && !statedByPerson(current.source);
}

/**
 * Whether a change of `source` (a path's, or a master status's: path and actor) was stated by
 * the person through one of their own paths (PERSON_SOURCES), not by an operator or an import.
 */
export function statedByPerson(source: string): boolean {
  return PERSON_SOURCES.some((p) => source === p || source.startsWith(`${p} (`));
}

/**
 * The optOutsRecordedSince of a status whose address a Salesforce record is first reported
 * opted out of, at `now`. Every opt-out other paths acknowledged before is known: none stands
 * on a subscribed status; Salesforce's status and a link page's are taken over by any other
 * path's opt-out (above). Over another path's unsubscribe they may have left no trace: only
 * from now on.
 */
export function optOutsRecordedFrom(
  status: Pick<EmailStatusRecord, 'unsubscribed' | 'source'>,
  now: number,
): number {
  return status.unsubscribed && !madeBySalesforce(status) && !undoableByLink(status) ? now : 0;
}

/** A status Salesforce made: a late notification of an older change of its record may lift it. */
export function madeBySalesforce(status: Pick<EmailStatusRecord, 'source'>): boolean {
  return status.source === SALESFORCE_SOURCE || status.source.startsWith(`${SALESFORCE_SOURCE} (`);
}
