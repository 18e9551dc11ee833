import { AppError, ErrorCode } from '../errors.js';
import { emailKey, MAX_EMAIL_LENGTH, validateEmail } from './email-key.js';
import type { FieldCatalogue } from './field-catalogue.js';

export const SALESFORCE_OBJECT_TYPES = ['Lead', 'Contact', 'Account'] as const;
export type SalesforceObjectType = (typeof SALESFORCE_OBJECT_TYPES)[number];

/** A Salesforce record as one notification shows it, in this service's field names. */
export interface SalesforceRecordSnapshot {
  /** The 18-character record id: the lead's foreign id (type SFDC). */
  recordId: string;
  objectType: SalesforceObjectType;
  /** The record's change order (epoch ms) when the message carries a modstamp, else null. */
  changedAt: number | null;
  /** `Email`, `Unsubscribed` and lead attributes the message carries; null: empty in Salesforce. */
  fields: Readonly<Record<string, string | null>>;
}

export interface SalesforceNotification {
  /** Salesforce's notification id: a retry of the notification repeats it. */
  notificationId: string;
  record: SalesforceRecordSnapshot;
  /**
   * Values the listener could not read (a checkbox that is no boolean, a modstamp that is no
   * date-time): left out of `record`, they refuse this notification (problemsOf).
   */
  unreadable?: readonly FieldProblem[];
  /**
   * Its number in its message (from 1), which names it in a refusal: the listener leaves out
   * the notifications it skips (no data, a business account). Absent: its place in the list.
   */
  position?: number;
}

/**
 * A value of one notification that cannot be stored: a checkbox that is no boolean, a modstamp
 * that is no date-time or is ahead of the clock, a field too long, an impossible Email. It
 * refuses that notification, not the message.
 */
export interface FieldProblem {
  /** This service's field name (`Email`, `Unsubscribed`, `FirstName`…), or `changedAt`. */
  field: string;
  code: ErrorCode;
  /** Why, naming Salesforce's field; no notification number (the caller adds it). */
  message: string;
}

/** The change order's problem's field: the modstamps, LastModifiedDate and SystemModstamp. */
export const CHANGE_ORDER = 'changedAt';

/**
 * How far ahead of this server's clock a record's modstamp may be. Salesforce's clocks are
 * right; a later stamp is forged or broken, and believed it would make every genuine change of
 * the record until then look older, so acknowledged and never applied.
 */
export const MAX_MODSTAMP_AHEAD_MS = 5 * 60 * 1000;

/**
 * Every problem of a notification: those the listener met reading it, then the checks
 * LeadService makes, made before anything of the message is applied. `latest`: the latest
 * change order believed (the clock plus MAX_MODSTAMP_AHEAD_MS).
 */
export function problemsOf(
  n: SalesforceNotification,
  catalogue: FieldCatalogue,
  latest: number,
): FieldProblem[] {
  const problems = [...(n.unreadable ?? [])];
  const { changedAt, fields } = n.record;
  if (changedAt !== null && changedAt > latest) {
    problems.push({
      field: CHANGE_ORDER,
      code: ErrorCode.BAD_PARAMETER,
      message: `SystemModstamp/LastModifiedDate ${new Date(changedAt).toISOString()} is more than 5 minutes ahead of this server's clock (${new Date(latest - MAX_MODSTAMP_AHEAD_MS).toISOString()})`,
    });
  }
  for (const [field, value] of Object.entries(fields)) {
    try {
      if (field === 'Email') {
        if (value !== null && value.trim() !== '') validateEmail(value);
      } else if (field === 'Unsubscribed' && value === null) {
        throw new AppError(ErrorCode.LEAD_ATTRIBUTE_BAD, 'Attribute Unsubscribed: empty');
      } else {
        catalogue.parse(field, value);
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      problems.push({ field, code: error.code, message: error.message });
    }
  }
  return problems;
}

/** The fault for a notification's problem: it names the notification and its record. */
export function refusal(
  index: number,
  record: SalesforceRecordSnapshot,
  problem: FieldProblem,
): AppError {
  return new AppError(
    problem.code,
    `Notification ${index + 1}, ${record.objectType} ${record.recordId}: ${problem.message}`,
  );
}

/**
 * What of a refused notification is applied all the same: when it reports the record opted
 * out (`HasOptedOutOfEmail` true) and its Email, checkbox and change order are sound, the
 * record without its bad fields; otherwise nothing (null). An opt-out must not wait for a Phone
 * to be corrected: Salesforce drops the message after 24 hours of retries.
 */
export function optOutDespite(
  record: SalesforceRecordSnapshot,
  problems: readonly FieldProblem[],
): SalesforceRecordSnapshot | null {
  if (record.fields.Unsubscribed !== 'true') return null;
  const bad = new Set(problems.map((p) => p.field));
  if (bad.has('Email') || bad.has('Unsubscribed') || bad.has(CHANGE_ORDER)) return null;
  const fields = Object.fromEntries(Object.entries(record.fields).filter(([f]) => !bad.has(f)));
  return { ...record, fields };
}

/**
 * The key of the Email a record is reported with: the address other records' unticks look it
 * up by (newerOptOutInSalesforce, newer-opt-out.ts), whoever holds the record here. None when
 * empty.
 */
export function reportedKey(email: string | null | undefined): string | null {
  if (email === null || email === undefined || email.trim() === '') return null;
  const key = emailKey(email);
  return key.length <= MAX_EMAIL_LENGTH ? key : null;
}
