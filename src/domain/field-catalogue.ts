import { isRealDay, parseDateTime, type DateForm } from '../formats/calendar-dates.js';
import { AppError, ErrorCode } from '../errors.js';
import { STORED_TEXT_CONTROL } from './stored-text.js';

// The types a custom field may have (CUSTOM_FIELDS declares them: src/config/parse.ts).
export type CustomFieldType =
  'string' | 'text' | 'integer' | 'float' | 'boolean' | 'date' | 'datetime';
export const CUSTOM_FIELD_TYPES: readonly CustomFieldType[] = [
  'string',
  'text',
  'integer',
  'float',
  'boolean',
  'date',
  'datetime',
];

export interface CustomFieldDeclaration {
  name: string;
  type: CustomFieldType;
}

export type FieldType = CustomFieldType;
export type FieldValue = string | number | boolean;

export interface FieldDefinition {
  /** The API name callers use in attrName. */
  name: string;
  /** What the activity log shows as Attribute Name. */
  displayName: string;
  type: FieldType;
  /**
   * The vendor's attrType for this field (phone, url, email, currency… where the value is still
   * parsed by `type`): what responses and describeMObject say.
   */
  dataType: string;
  /** Column of a standard field; custom fields have none and live in one JSON column. */
  column: string | null;
  maxLength: number;
}

const MAX_STRING = 255;
const MAX_TEXT = 4000;

function standard(
  name: string,
  displayName: string,
  type: FieldType,
  column: string,
  dataType: string = type,
): FieldDefinition {
  const maxLength = type === 'text' ? MAX_TEXT : MAX_STRING;
  return { name, displayName, type, dataType, column, maxLength };
}

/** Standard lead fields. Email, Id and the foreign-system keys are LeadRecord members, not attributes. */
export const STANDARD_FIELDS: readonly FieldDefinition[] = [
  standard('Salutation', 'Salutation', 'string', 'salutation'),
  standard('FirstName', 'First Name', 'string', 'first_name'),
  standard('MiddleName', 'Middle Name', 'string', 'middle_name'),
  standard('LastName', 'Last Name', 'string', 'last_name'),
  standard('Title', 'Job Title', 'string', 'title'),
  standard('Company', 'Company Name', 'string', 'company'),
  standard('Industry', 'Industry', 'string', 'industry'),
  standard('Phone', 'Phone Number', 'string', 'phone', 'phone'),
  standard('MobilePhone', 'Mobile Phone Number', 'string', 'mobile_phone', 'phone'),
  standard('Fax', 'Fax Number', 'string', 'fax', 'phone'),
  standard('Website', 'Website', 'string', 'website', 'url'),
  standard('Address', 'Address', 'text', 'address'),
  standard('City', 'City', 'string', 'city'),
  standard('State', 'State', 'string', 'state'),
  standard('Country', 'Country', 'string', 'country'),
  standard('PostalCode', 'Postal Code', 'string', 'postal_code'),
  standard('LeadSource', 'Lead Source', 'string', 'lead_source'),
  standard('LeadStatus', 'Lead Status', 'string', 'lead_status'),
  standard('LeadScore', 'Lead Score', 'integer', 'lead_score'),
  standard('NumberOfEmployees', 'Num Employees', 'integer', 'number_of_employees'),
  standard('AnnualRevenue', 'Annual Revenue', 'float', 'annual_revenue', 'currency'),
  standard('DateOfBirth', 'Date of Birth', 'date', 'date_of_birth'),
  standard('DoNotCall', 'Do Not Call', 'boolean', 'do_not_call'),
  standard('Unsubscribed', 'Unsubscribed', 'boolean', 'unsubscribed'),
  standard('UnsubscribedReason', 'Unsubscribed Reason', 'text', 'unsubscribed_reason'),
  standard('EmailInvalid', 'Email Invalid', 'boolean', 'email_invalid'),
  standard('EmailInvalidCause', 'Email Invalid Cause', 'string', 'email_invalid_cause'),
];

/**
 * LeadRecord members a lead attribute cannot also be: an attribute named Email is read as the
 * lead's address, and describeMObject lists both already. Matched in any case.
 */
export const LEAD_RECORD_MEMBER_FIELDS: readonly string[] = ['Id', 'Email'];

/** Fields the rules own: they are stored but never written through the generic attribute path. */
export const RULE_FIELDS = new Set(['Unsubscribed']);

export const EMAIL_DISPLAY_NAME = 'Email Address';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/**
 * A decimal number (`12`, `12.`, `12.5`, `.5`, with a sign and an exponent). The fraction hangs
 * on its point: with an optional point between two runs of digits (`\d+\.?\d*`), a run that
 * is no number was split every way before being refused, at a cost of its length squared.
 */
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Date.parse rolls impossible days over (2024-02-30 becomes March 1) and takes year 0000. */
const realDate = isRealDay;
/** A date-time attribute: seconds optional, an offset required. */
const ATTRIBUTE_DATE_TIME: DateForm = {
  dateOnly: false,
  loose: false,
  secondsOptional: true,
  zoneRequired: true,
};

/**
 * The other characters outside XML 1.0's Char production: U+FFFE, U+FFFF and surrogates
 * standing alone. A SOAP request cannot carry them (the envelope guard refuses them), but the
 * console reads forms, not XML: a value stored from there (a person's Unsubscribed Reason, a
 * Change Data Value) went out as it was in every SOAP answer that showed it (getLead, the
 * activity log, the getLeadChanges stream), an answer strict clients (lxml, JAX-WS, .NET)
 * refuse to parse whole: a stream page holding it could never be read past.
 */
const NOT_IN_XML = /[\ufffe\uffff]|\p{Cs}/u;

function bad(name: string, why: string): AppError {
  return new AppError(ErrorCode.LEAD_ATTRIBUTE_BAD, `Attribute ${name}: ${why}`);
}

export class FieldCatalogue {
  private readonly byName = new Map<string, FieldDefinition>();

  constructor(custom: readonly CustomFieldDeclaration[] = []) {
    for (const f of STANDARD_FIELDS) this.byName.set(f.name.toLowerCase(), f);
    for (const c of custom) {
      const key = c.name.toLowerCase();
      if (this.byName.has(key) || LEAD_RECORD_MEMBER_FIELDS.some((m) => m.toLowerCase() === key)) {
        throw new Error(`Custom field ${c.name} clashes with a standard field`);
      }
      this.byName.set(c.name.toLowerCase(), {
        name: c.name,
        displayName: c.name,
        type: c.type,
        dataType: c.type,
        column: null,
        maxLength: c.type === 'text' ? MAX_TEXT : MAX_STRING,
      });
    }
  }

  /** Field names match case-insensitively, as the legacy API did. */
  find(name: string): FieldDefinition | undefined {
    return this.byName.get(name.trim().toLowerCase());
  }

  get(name: string): FieldDefinition {
    const field = this.find(name);
    if (!field) throw bad(name.slice(0, 64), 'unknown attribute');
    return field;
  }

  all(): FieldDefinition[] {
    return [...this.byName.values()];
  }

  /**
   * Parses a value sent as text. Empty text means "clear the field" (null), except for
   * booleans where it is refused: an empty Unsubscribed must never silently mean false.
   */
  parse(name: string, raw: string | null): { field: FieldDefinition; value: FieldValue | null } {
    const field = this.get(name);
    if (raw === null) return { field, value: null };
    const v = field.type === 'string' || field.type === 'text' ? raw : raw.trim();
    if (v === '' && field.type !== 'boolean') return { field, value: null };
    if (STORED_TEXT_CONTROL.test(v)) throw bad(field.name, 'control characters');
    if (NOT_IN_XML.test(v)) throw bad(field.name, 'a character XML 1.0 cannot carry');
    switch (field.type) {
      case 'string':
      case 'text':
        if (v.length > field.maxLength)
          throw bad(field.name, `longer than ${field.maxLength} characters`);
        return { field, value: v };
      case 'integer': {
        if (!/^[+-]?\d{1,10}$/.test(v)) throw bad(field.name, 'not an integer');
        const n = Number(v);
        if (n > 2147483647 || n < -2147483648) throw bad(field.name, 'integer out of range');
        return { field, value: n };
      }
      case 'float': {
        if (!FLOAT.test(v)) throw bad(field.name, 'not a number');
        const n = Number(v);
        if (!Number.isFinite(n)) throw bad(field.name, 'number out of range');
        return { field, value: n };
      }
      case 'boolean': {
        const b = v.toLowerCase();
        if (b === 'true' || b === '1') return { field, value: true };
        if (b === 'false' || b === '0') return { field, value: false };
        throw bad(field.name, 'not a boolean (true, false, 1 or 0)');
      }
      case 'date':
        if (!DATE.test(v) || !realDate(v)) throw bad(field.name, 'not a date (YYYY-MM-DD)');
        return { field, value: v };
      case 'datetime': {
        const at = DATETIME.test(v) ? parseDateTime(v, ATTRIBUTE_DATE_TIME) : undefined;
        if (at === undefined) throw bad(field.name, 'not a date-time');
        return { field, value: new Date(at).toISOString() };
      }
    }
  }

  /** The text form of a stored value, as written in responses and the activity log. */
  static format(value: FieldValue | null): string | null {
    if (value === null) return null;
    return String(value);
  }
}
