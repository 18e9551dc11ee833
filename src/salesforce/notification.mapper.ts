import { AppError, ErrorCode } from '../errors.js';
import { CHANGE_ORDER, type FieldProblem } from '../domain/salesforce-notification.js';
import {
  SALESFORCE_OBJECT_TYPES,
  type SalesforceNotification,
  type SalesforceObjectType,
} from '../domain/salesforce-sync.service.js';
import {
  dateTime,
  list,
  object,
  text,
  xsiTypeOf,
  type RawObject,
} from '../soap-transport/values.js';
import { canonicalSalesforceId, id18, isSalesforceId } from '../formats/salesforce-id.js';

export const MAX_NOTIFICATIONS = 100;

/** The notifications element, checked and typed. */
export interface OutboundMessage {
  organizationId: string;
  actionId: string;
  /** The notifications to apply, each with its position in the message. */
  notifications: SalesforceNotification[];
  /** Those deliberately not applied (no data, a business account), in message order. */
  skipped: SkippedNotification[];
}

/** Salesforce field → this service's field. Fields not listed are ignored. */
const COMMON_FIELDS: Readonly<Record<string, string>> = {
  Email: 'Email',
  HasOptedOutOfEmail: 'Unsubscribed',
  Salutation: 'Salutation',
  FirstName: 'FirstName',
  LastName: 'LastName',
  Title: 'Title',
  Phone: 'Phone',
  MobilePhone: 'MobilePhone',
  LeadSource: 'LeadSource',
  DoNotCall: 'DoNotCall',
};

const FIELD_MAP: Readonly<Record<SalesforceObjectType, Readonly<Record<string, string>>>> = {
  Lead: {
    ...COMMON_FIELDS,
    Company: 'Company',
    Industry: 'Industry',
    Website: 'Website',
    City: 'City',
    State: 'State',
    Country: 'Country',
    PostalCode: 'PostalCode',
  },
  Contact: {
    ...COMMON_FIELDS,
    MailingCity: 'City',
    MailingState: 'State',
    MailingCountry: 'Country',
    MailingPostalCode: 'PostalCode',
  },
  // A person account: Salesforce fires only the Account's workflows and flows for it, never
  // the Contact's, and names its contact fields Person…. Salutation, FirstName, LastName and
  // Phone keep their names.
  Account: {
    PersonEmail: 'Email',
    PersonHasOptedOutOfEmail: 'Unsubscribed',
    Salutation: 'Salutation',
    FirstName: 'FirstName',
    LastName: 'LastName',
    PersonTitle: 'Title',
    Phone: 'Phone',
    PersonMobilePhone: 'MobilePhone',
    PersonLeadSource: 'LeadSource',
    PersonDoNotCall: 'DoNotCall',
    PersonMailingCity: 'City',
    PersonMailingState: 'State',
    PersonMailingCountry: 'Country',
    PersonMailingPostalCode: 'PostalCode',
  },
};

const BOOLEAN_FIELDS = new Set([
  'HasOptedOutOfEmail',
  'DoNotCall',
  'PersonHasOptedOutOfEmail',
  'PersonDoNotCall',
]);

/** Key prefixes of the objects we accept: a Lead id starts 00Q, a Contact id 003, an Account 001. */
const KEY_PREFIX: Readonly<Record<SalesforceObjectType, string>> = {
  Lead: '00Q',
  Contact: '003',
  Account: '001',
};

const required = (name: string) =>
  new AppError(ErrorCode.PARAMETER_REQUIRED, `${name} is required`);
const bad = (why: string) => new AppError(ErrorCode.BAD_PARAMETER, why);

function salesforceId(raw: unknown, name: string): string {
  const value = text(raw, name)?.trim();
  if (value === undefined || value === '') throw required(name);
  if (!isSalesforceId(value)) throw bad(`${name} is not a 15- or 18-character Salesforce id`);
  const canonical = canonicalSalesforceId(value);
  if (canonical === null) throw bad(`${name} ${value} does not match its own checksum`);
  return canonical;
}

function booleanText(raw: unknown, name: string): string | undefined {
  const value = text(raw, name)?.trim();
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return 'true';
  if (value === 'false' || value === '0') return 'false';
  throw bad(`${name} must be true or false`);
}

/** The sender's organisation id, read on its own so that the sender is checked first. */
export function organizationIdOf(args: RawObject): string {
  return salesforceId(args.OrganizationId, 'OrganizationId');
}

function objectTypeOf(sObject: RawObject, where: string): SalesforceObjectType {
  const type = xsiTypeOf(sObject);
  if (type === undefined) throw required(`${where}: the xsi:type of sObject`);
  if (!(SALESFORCE_OBJECT_TYPES as readonly string[]).includes(type)) {
    throw new AppError(
      ErrorCode.INVALID_REQUEST,
      `${where}: sObject type ${type.slice(0, 64)} is not supported; send Lead, Contact or Account`,
    );
  }
  return type as SalesforceObjectType;
}

/**
 * `read()`, or undefined with its problem (a value this service cannot read) added to
 * `unreadable` under `field`: such a value refuses its notification, not the message.
 */
function readOr<T>(unreadable: FieldProblem[], field: string, read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    unreadable.push({ field, code: error.code, message: error.message });
    return undefined;
  }
}

/** A notification the listener deliberately leaves out: acknowledged, logged, nothing stored. */
export interface SkippedNotification {
  /** Its number in the message, from 1. */
  position: number;
  notificationId: string;
  /** The record's 18-character id, when the notification names one. */
  recordId: string | null;
  why: string;
}

const NO_DATA = 'no data (the record was deleted before delivery)';
const BUSINESS_ACCOUNT = 'a business account (IsPersonAccount false)';

/** Whether an sObject holds nothing but its type and Id: Salesforce's deleted record. */
function holdsNoData(sObject: RawObject): boolean {
  return Object.keys(sObject).every(
    (k) => k === 'attributes' || k === 'Id' || k === 'fieldsToNull',
  );
}

/**
 * One Notification. What makes it no notification (no object, a bad Id, a type other than
 * Lead, Contact or Account, a record id that is none or of another object) refuses the
 * message; a value that cannot be read refuses only this notification (`unreadable`). One
 * with no data (no sObject, or one with nothing but its Id: Salesforce sends that for a record
 * deleted before delivery) or of a business account is skipped: it holds no change to apply.
 */
function toNotification(raw: unknown, index: number): SalesforceNotification | SkippedNotification {
  const where = `Notification ${index + 1}`;
  const notification = object(raw);
  if (!notification) throw bad(`${where} must hold an Id and an sObject`);
  // Kept in its 18-character form, as a record id is: either form names one notification.
  const notificationId = id18(salesforceId(notification.Id, `${where} Id`));
  const skip = (recordId: string | null, why: string): SkippedNotification => ({
    position: index + 1,
    notificationId,
    recordId,
    why,
  });
  const given = notification.sObject;
  if (given === undefined || given === null || given === '') return skip(null, NO_DATA);
  const sObject = object(given);
  if (!sObject) throw bad(`${where} sObject must hold the record`);
  if (Object.keys(sObject).every((k) => k === 'attributes')) return skip(null, NO_DATA);
  const objectType = objectTypeOf(sObject, where);
  const recordId = salesforceId(sObject.Id, `${where} sObject Id`);
  if (!recordId.startsWith(KEY_PREFIX[objectType])) {
    throw bad(`${where}: ${recordId} is not an id of the ${objectType} object`);
  }
  if (holdsNoData(sObject)) return skip(id18(recordId), NO_DATA);
  // A business account holds no person (an Account outbound message fires for both kinds
  // unless its rule tests IsPersonAccount).
  if (objectType === 'Account' && isBusinessAccount(sObject)) {
    return skip(id18(recordId), BUSINESS_ACCOUNT);
  }

  // The change order: the later of the two modstamps sent (SystemModstamp is never earlier).
  // Labels name no notification: the refusal adds its number and record.
  const unreadable: FieldProblem[] = [];
  let changedAt: number | null = null;
  for (const name of ['LastModifiedDate', 'SystemModstamp']) {
    const at = readOr(unreadable, CHANGE_ORDER, () => dateTime(sObject[name], name))?.getTime();
    if (at !== undefined) changedAt = Math.max(changedAt ?? at, at);
  }

  const fields: Record<string, string | null> = {};
  for (const [salesforceName, ourName] of Object.entries(FIELD_MAP[objectType])) {
    if (!Object.prototype.hasOwnProperty.call(sObject, salesforceName)) continue;
    const raw = sObject[salesforceName];
    if (BOOLEAN_FIELDS.has(salesforceName)) {
      // A nil checkbox says nothing; Salesforce never sends one.
      const value = readOr(unreadable, ourName, () => booleanText(raw, salesforceName));
      if (value !== undefined) fields[ourName] = value;
    } else {
      const value = readOr(unreadable, ourName, () => text(raw, salesforceName) ?? null);
      if (value !== undefined) fields[ourName] = value;
    }
  }
  const record = { recordId: id18(recordId), objectType, changedAt, fields };
  const position = index + 1;
  return unreadable.length > 0
    ? { notificationId, record, unreadable, position }
    : { notificationId, record, position };
}

/**
 * Whether an Account is a business account: IsPersonAccount sent false. Not sent, it is taken
 * for a person account; one that is no boolean is too, so that an opt-out beside it applies.
 * One that says false but carries an opt-out (PersonHasOptedOutOfEmail true) is applied as a
 * person account: skipped, that opt-out was acknowledged and lost.
 */
function isBusinessAccount(sObject: RawObject): boolean {
  const isTrue = (name: string) => {
    try {
      return booleanText(sObject[name], name) === 'true';
    } catch (error) {
      if (error instanceof AppError) return false;
      throw error;
    }
  };
  try {
    if (booleanText(sObject.IsPersonAccount, 'IsPersonAccount') !== 'false') return false;
  } catch (error) {
    if (error instanceof AppError) return false;
    throw error;
  }
  return !isTrue('PersonHasOptedOutOfEmail');
}

/**
 * The notifications element → typed message; a malformed message is a Client fault. A
 * notification's unreadable values are not: they travel with it (`unreadable`). The skipped
 * ones are listed apart, for the log.
 */
export function toOutboundMessage(args: RawObject): OutboundMessage {
  const organizationId = organizationIdOf(args);
  const actionId = salesforceId(args.ActionId, 'ActionId');
  const raw = list(args.Notification);
  if (raw.length === 0) throw required('Notification');
  if (raw.length > MAX_NOTIFICATIONS) {
    throw bad(`At most ${MAX_NOTIFICATIONS} Notification elements per message`);
  }
  const notifications: SalesforceNotification[] = [];
  const skipped: SkippedNotification[] = [];
  for (const [i, n] of raw.entries()) {
    const read = toNotification(n, i);
    if ('why' in read) skipped.push(read);
    else notifications.push(read);
  }
  refuseReusedIds(notifications, skipped);
  return { organizationId, actionId, notifications, skipped };
}

/**
 * A notification id stands for one change: a later notification of the message under an id
 * already used there would be found done (REPEAT) and acknowledged without being applied, an
 * opt-out included. Salesforce never writes one; such a message is refused whole, before
 * anything of it is applied. The same notification written twice is harmless (applied once).
 */
function refuseReusedIds(
  notifications: readonly SalesforceNotification[],
  skipped: readonly SkippedNotification[],
): void {
  if (notifications.length + skipped.length < 2) return;
  const all = [
    ...notifications.map((n) => ({
      position: n.position!,
      id: n.notificationId,
      change: JSON.stringify([n.record, n.unreadable ?? []]),
    })),
    ...skipped.map((n) => ({
      position: n.position,
      id: n.notificationId,
      change: JSON.stringify([n.recordId, n.why]),
    })),
  ].sort((a, b) => a.position - b.position);
  const seen = new Map<string, string>();
  for (const n of all) {
    const first = seen.get(n.id);
    if (first === undefined) seen.set(n.id, n.change);
    else if (first !== n.change)
      throw bad(
        `Notification ${n.position}: Id ${n.id} is that of an earlier notification of this message, with another change`,
      );
  }
}
