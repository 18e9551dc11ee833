import { AppError, ErrorCode } from '../errors.js';
import { emailKey, validateEmail } from './email-key.js';
import type { FieldCatalogue, FieldDefinition, FieldValue } from './field-catalogue.js';
import { FOREIGN_SYS_TYPES, type LeadInput } from './lead.types.js';

/** A lead change as a caller sends it, checked and typed: pure, no database. */

export const MAX_LEAD_ID = 2147483647;
const MAX_FOREIGN_ID_LENGTH = 255;

/** A caller's change, validated and typed, before any database work. */
export interface PreparedChange {
  id?: number;
  email?: string | null;
  emailKey?: string | null;
  /**
   * The address that finds the lead when it differs from the one to store: a record keyed by
   * its Email member whose attribute list carries another Email changes the address.
   */
  matchEmailKey?: string;
  foreignSysPersonId?: string;
  foreignSysType?: string;
  /** The address is stored on a person created only, never on one Id or foreign id found. */
  emailOnlyAsKey?: boolean;
  unsubscribed?: boolean;
  fields: Array<{ field: FieldDefinition; value: FieldValue | null }>;
}

export function keyOf(email: string | null | undefined): string | null {
  return email ? emailKey(email) : null;
}

/** The key of an Email attribute's value; null when it is empty or nil. */
const attributeKeyOf = (value: string | null) =>
  value?.trim() ? keyOf(validateEmail(value)) : null;

/**
 * Unsubscribed, its reason or an Email attribute named twice in one record with values that
 * differ: which one the client meant is not guessed (the last winning, an opt-out followed by a
 * stale "false" was answered as stored and lost, a complaint replaced by a reason anyone lifts).
 */
const namedTwice = (name: string) =>
  new AppError(
    ErrorCode.LEAD_ATTRIBUTE_BAD,
    `Attribute ${name} named twice with different values; send it once`,
  );

export function parseLeadId(raw: string | number): number {
  const s = String(raw).trim();
  if (!/^\d{1,10}$/.test(s) || Number(s) < 1 || Number(s) > MAX_LEAD_ID) {
    throw new AppError(
      ErrorCode.LEAD_KEY_BAD,
      'Lead id must be a whole number from 1 to 2147483647',
    );
  }
  return Number(s);
}

/** Validates everything that needs no database, so bad input never opens a transaction. */
export function parseLeadInput(input: LeadInput, catalogue: FieldCatalogue): PreparedChange {
  const change: PreparedChange = { fields: [] };
  if (input.id !== undefined) change.id = parseLeadId(input.id);
  let email = input.email;
  let emailAttribute: string | null | undefined;
  // A field named twice keeps its first place and takes its last value. Found by a scan of
  // the few fields of a record (their definitions are the catalogue's own objects), not a Map
  // per record: this runs for every record of a batch.
  const fields = change.fields;
  for (const attr of input.attributes ?? []) {
    if (attr.name.trim().toLowerCase() === 'email') {
      if (
        emailAttribute !== undefined &&
        attributeKeyOf(emailAttribute) !== attributeKeyOf(attr.value)
      )
        throw namedTwice('Email');
      emailAttribute = attr.value;
      continue;
    }
    const parsed = catalogue.parse(attr.name, attr.value);
    if (parsed.field.name === 'Unsubscribed') {
      if (parsed.value === null)
        throw new AppError(ErrorCode.LEAD_ATTRIBUTE_BAD, 'Attribute Unsubscribed: empty');
      const unsubscribed = parsed.value === true;
      if (change.unsubscribed !== undefined && change.unsubscribed !== unsubscribed)
        throw namedTwice('Unsubscribed');
      change.unsubscribed = unsubscribed;
      continue;
    }
    let at = 0;
    while (at < fields.length && fields[at]!.field !== parsed.field) at++;
    // The reason decides whether the opt-out is protected (PROTECTED_REASONS): not guessed.
    if (
      at < fields.length &&
      parsed.field.name === 'UnsubscribedReason' &&
      fields[at]!.value !== parsed.value
    )
      throw namedTwice('UnsubscribedReason');
    fields[at] = parsed; // past the end: a new field
  }
  if (emailAttribute !== undefined) {
    // The Email member keys the record; an Email attribute is the address to store. Never
    // ignore a different one (a silent UPDATED would keep the old address).
    const memberKey = email ? keyOf(validateEmail(email)) : null;
    const attributeKey = attributeKeyOf(emailAttribute);
    if (email === undefined || email === null || email.trim() === '') email = emailAttribute;
    else if (memberKey !== attributeKey) {
      change.matchEmailKey = memberKey!;
      email = emailAttribute;
    }
  }
  if (email !== undefined) {
    change.email = email === null || email.trim() === '' ? null : validateEmail(email);
    change.emailKey = keyOf(change.email);
    if (input.emailOnlyAsKey && emailAttribute === undefined) change.emailOnlyAsKey = true;
  }
  if (input.foreignSysPersonId !== undefined) {
    const fid = input.foreignSysPersonId.trim();
    if (fid === '' || fid.length > MAX_FOREIGN_ID_LENGTH) {
      throw new AppError(
        ErrorCode.LEAD_ATTRIBUTE_BAD,
        'ForeignSysPersonId must be 1 to 255 characters',
      );
    }
    change.foreignSysPersonId = fid;
  }
  if (input.foreignSysType !== undefined) {
    if (!(FOREIGN_SYS_TYPES as readonly string[]).includes(input.foreignSysType)) {
      throw new AppError(
        ErrorCode.LEAD_ATTRIBUTE_BAD,
        'ForeignSysType must be CUSTOM, SFDC or NETSUITE',
      );
    }
    change.foreignSysType = input.foreignSysType;
  }
  return change;
}
