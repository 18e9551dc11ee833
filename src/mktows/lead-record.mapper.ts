import { AppError, ErrorCode } from '../errors.js';
import {
  LEAD_KEY_TYPES,
  type LeadAttribute,
  type LeadInput,
  type LeadKey,
  type LeadView,
} from '../domain/lead.types.js';
import type { ActivityView } from '../domain/activity.service.js';
import type { FieldCatalogue } from '../domain/field-catalogue.js';
import {
  elementsOf,
  formatDateTime,
  formatInstant,
  list,
  member,
  isObject,
  memberAs,
  object,
  requireObject,
  spelledAs,
  text,
  xsiTypeOf,
  type Raw,
  type RawObject,
} from '../soap-transport/values.js';

// No key we hold is longer (emails 254, foreign ids 255).
const MAX_KEY_VALUE_LENGTH = 255;

/** The members that tell each kind of leadSelector apart. */
const SELECTOR_MEMBERS: readonly (readonly [string, readonly string[]])[] = [
  ['LeadKeySelector', ['keyType', 'keyValues']],
  ['LastUpdateAtSelector', ['oldestUpdatedAt', 'latestUpdatedAt']],
  ['StaticListSelector', ['staticListName', 'staticListId']],
];

/**
 * The type of a leadSelector: its xsi:type, else the one kind whose members it holds. The
 * vendor's own Ruby (Savon) sample of getMultipleLeads sends a LeadKeySelector without xsi:type;
 * members of no kind, or of several, stay undecided (20110).
 */
export function selectorTypeOf(selector: RawObject): string | undefined {
  const declared = xsiTypeOf(selector);
  if (declared !== undefined) return declared;
  const held = (name: string) => {
    const v = member(selector, name);
    return v !== undefined && v !== null && v !== '';
  };
  const kinds = SELECTOR_MEMBERS.filter(([, names]) => names.some(held));
  return kinds.length === 1 ? kinds[0]![0] : undefined;
}

/**
 * A LeadKeySelector → its key type and values: at most `max` values. Beyond them, 20110
 * (`refuse`: getLeadChanges, as the vendor's) or the first `max` alone (`ignore`:
 * getMultipleLeads, whose keys beyond its limit the vendor ignored). A value kept that is
 * longer than any key is 20102, as a single leadKey's is.
 */
export function toKeySelector(
  selector: Record<string, unknown>,
  max: number,
  beyond: 'refuse' | 'ignore' = 'refuse',
): { keyType: LeadKey['keyType']; values: string[] } {
  const keyType = text(member(selector, 'keyType'), 'keyType')?.trim() ?? '';
  if (!(LEAD_KEY_TYPES as readonly string[]).includes(keyType)) {
    throw new AppError(ErrorCode.LEAD_KEY_BAD, 'keyType is not a LeadKeyRef');
  }
  const values = list(
    member(elementsOf(member(selector, 'keyValues'), 'keyValues'), 'stringItem'),
  ).map((s) => text(s, 'stringItem') ?? '');
  if (values.length === 0) throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'keyValues is empty');
  if (values.length > max && beyond === 'refuse')
    throw new AppError(ErrorCode.BAD_PARAMETER, `At most ${max} keyValues`);
  const kept = values.slice(0, max);
  // As a single leadKey's keyValue (toLeadKey): no key held is longer, and none is looked up.
  if (kept.some((v) => v.length > MAX_KEY_VALUE_LENGTH))
    throw new AppError(
      ErrorCode.LEAD_KEY_BAD,
      `A keyValues stringItem longer than ${MAX_KEY_VALUE_LENGTH} characters`,
    );
  return { keyType: keyType as LeadKey['keyType'], values: kept };
}

/**
 * A StaticListSelector (the vendor's third LeadSelector, in its stubs): no static lists are kept
 * here, so the list it names is one there is not, the vendor's 20111.
 */
export function noStaticList(selector: RawObject): AppError {
  const name = text(member(selector, 'staticListName'), 'staticListName')?.trim();
  const id = text(member(selector, 'staticListId'), 'staticListId')?.trim();
  if (!name && !id)
    return new AppError(
      ErrorCode.PARAMETER_REQUIRED,
      'StaticListSelector needs staticListName or staticListId',
    );
  const which = name ? `named ${name.slice(0, 64)}` : `with id ${id!.slice(0, 16)}`;
  return new AppError(
    ErrorCode.LIST_NOT_FOUND,
    `No static list ${which}: this service keeps no static lists`,
  );
}

/** LeadKey element → domain key. An unknown keyType is 20102; a missing key 20101. */
export function toLeadKey(raw: Raw): LeadKey {
  const key = elementsOf(raw, 'leadKey');
  if (!key) throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'leadKey is required');
  const keyType = text(member(key, 'keyType'), 'keyType')?.trim();
  const keyValue = text(member(key, 'keyValue'), 'keyValue');
  if (!keyType) throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'leadKey.keyType is required');
  if (!(LEAD_KEY_TYPES as readonly string[]).includes(keyType)) {
    throw new AppError(
      ErrorCode.LEAD_KEY_BAD,
      `keyType ${keyType.slice(0, 64)} is not a LeadKeyRef`,
    );
  }
  if (keyValue === undefined || keyValue.trim() === '') {
    throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'leadKey.keyValue is required');
  }
  if (keyValue.length > MAX_KEY_VALUE_LENGTH) {
    throw new AppError(
      ErrorCode.LEAD_KEY_BAD,
      `keyValue longer than ${MAX_KEY_VALUE_LENGTH} characters`,
    );
  }
  return { keyType: keyType as LeadKey['keyType'], keyValue };
}

/**
 * A key list of mergeLeads (ArrayOfAttribute: attrName = a LeadKeyRef, attrValue = its value) →
 * the keys that must all name one lead. `itemAlias`: another name its attributes may stand
 * under (a losing list's `keyList`, as Apache Axis 1.4 writes the first one); one list using
 * both names is refused. Keys of several types name one lead together, so there are no more of
 * them than key types; `sameType`, for a losing list, lets a list whose keys are all of one type
 * (one loser each) hold up to `most` of them, and refuses more with `tooMany`.
 */
export function toKeyList(
  raw: Raw,
  name: string,
  itemAlias?: string,
  sameType?: { most: number; tooMany: () => AppError },
): LeadKey[] {
  const keys = elementsOf(raw, name);
  let attrs = list(member(keys, 'attribute'));
  if (itemAlias !== undefined) {
    const aliased = list(member(keys, itemAlias));
    if (aliased.length > 0 && attrs.length > 0)
      throw new AppError(
        ErrorCode.REQUEST_NOT_UNDERSTOOD,
        `${name} holds both attribute and ${itemAlias} elements`,
      );
    if (aliased.length > 0) attrs = aliased;
  }
  if (attrs.length === 0) throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, `${name} is empty`);
  const moreThanTypes = () =>
    new AppError(ErrorCode.LEAD_KEY_BAD, `${name} has more keys than there are key types`);
  // Bounded before any key is read: a list of thousands is refused as it is counted.
  if (attrs.length > Math.max(LEAD_KEY_TYPES.length, sameType?.most ?? 0))
    throw sameType ? sameType.tooMany() : moreThanTypes();
  const found = attrs.map((a) => {
    const attr = object(a);
    return toLeadKey(
      attr && { keyType: member(attr, 'attrName'), keyValue: member(attr, 'attrValue') },
    );
  });
  if (found.length > LEAD_KEY_TYPES.length && found.some((k) => k.keyType !== found[0]!.keyType))
    throw moreThanTypes();
  return found;
}

/**
 * A LeadRecord's Id may come as leadId: the vendor's developer blog (its Ruby samples' :lead_id)
 * names the lead of a syncLead or syncMultipleLeads record so, and the vendor read it as the Id.
 */
export const LEAD_RECORD_READ_ALSO = { LeadRecord: { leadId: 'Id' } } as const;

/** LeadRecord's members as the schema spells them (no two differ only in case). */
const LEAD_RECORD_MEMBERS: ReadonlySet<string> = new Set([
  'Id',
  'Email',
  'ForeignSysPersonId',
  'ForeignSysType',
  'leadAttributeList',
]);

/**
 * The leadAttributeList member: absent, nil or empty is no attributes. Given twice, or as text,
 * it is refused: dropping it would answer CREATED or UPDATED without the attributes sent, an
 * Unsubscribed=true among them.
 */
function attributeList(value: Raw): RawObject | undefined {
  if (value === undefined || value === null || isObject(value)) return value ?? undefined;
  if (Array.isArray(value))
    throw new AppError(ErrorCode.BAD_PARAMETER, 'leadAttributeList must be given once');
  if (typeof value === 'string' && value.trim() === '') return undefined;
  throw new AppError(ErrorCode.BAD_PARAMETER, 'leadAttributeList must hold attribute elements');
}

/**
 * LeadRecord element → domain input. A nil member means "not given" (PHP and .NET stubs send
 * nil for every unset member); an empty Email clears the address.
 * `anonymous`: the call carries another way to know the visitor (syncLead's marketoCookie), so a
 * record without a key creates a person, as the vendor created an anonymous lead.
 */
export function toLeadInput(raw: Raw, anonymous = false): LeadInput {
  const record = requireObject(raw, 'leadRecord', ErrorCode.LEAD_DETAIL_REQUIRED);
  // Nearly always so: the members a record leaves out are then not looked for in every case.
  const spelled = spelledAs(record, LEAD_RECORD_MEMBERS);
  const input: LeadInput = {};
  const id = recordId(
    text(memberAs(record, 'Id', spelled), 'Id'),
    spelled ? undefined : text(member(record, 'leadId'), 'leadId'),
  );
  if (id !== undefined && id.trim() !== '') {
    const s = id.trim();
    if (!/^\d{1,10}$/.test(s) || Number(s) < 1 || Number(s) > 2147483647) {
      throw new AppError(ErrorCode.LEAD_KEY_BAD, 'Id must be a whole number from 1 to 2147483647');
    }
    input.id = Number(s);
  }
  const email = text(memberAs(record, 'Email', spelled), 'Email');
  if (email !== undefined) input.email = email.trim() === '' ? null : email;
  const fid = text(memberAs(record, 'ForeignSysPersonId', spelled), 'ForeignSysPersonId');
  if (fid !== undefined && fid.trim() !== '') input.foreignSysPersonId = fid;
  const ftype = text(memberAs(record, 'ForeignSysType', spelled), 'ForeignSysType');
  if (ftype !== undefined && ftype.trim() !== '')
    input.foreignSysType = ftype.trim() as LeadInput['foreignSysType'];
  const attrs = attributeList(memberAs(record, 'leadAttributeList', spelled));
  const attributes = list(member(attrs, 'attribute')).map((a) => {
    const attr = object(a);
    const name = attr ? text(member(attr, 'attrName'), 'attrName') : undefined;
    if (!attr || name === undefined || name.trim() === '') {
      throw new AppError(ErrorCode.LEAD_ATTRIBUTE_BAD, 'Every attribute needs an attrName');
    }
    const value = text(member(attr, 'attrValue'), 'attrValue');
    return { name, value: value ?? null };
  });
  input.attributes = attributes.filter((a) => !isIdAttribute(a, input.id));
  // A record of nothing at all is no lead detail: the domain's 20104, as for <leadRecord/>.
  if (!anonymous && input.attributes.length > 0 && !namesItsPerson(input))
    throw new AppError(
      ErrorCode.LEAD_KEY_REQUIRED,
      'A leadRecord needs an Id, Email or ForeignSysPersonId',
    );
  return input;
}

/**
 * The vendor's pages of syncLead and syncMultipleLeads require one of Id, Email (the member, or
 * the attribute, as Ruby's marketo_gem sends it) and ForeignSysPersonId: a record of none (a CRM
 * row with a blank address) would otherwise create another person without an address each time
 * it is sent.
 */
function namesItsPerson(input: LeadInput): boolean {
  if (input.id !== undefined || input.foreignSysPersonId !== undefined || input.email) return true;
  return (input.attributes ?? []).some(
    (a) => a.name.trim().toLowerCase() === 'email' && (a.value?.trim() ?? '') !== '',
  );
}

/** The record's Id, given as Id or as leadId (LEAD_RECORD_READ_ALSO): both must name one lead. */
function recordId(id: string | undefined, leadId: string | undefined): string | undefined {
  const given = id?.trim() ? id : undefined;
  if (!leadId?.trim()) return given;
  if (given !== undefined && given.trim() !== leadId.trim())
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      'Id and leadId of a leadRecord name different leads: give one of them',
    );
  return leadId;
}

/**
 * An attribute named Id: the Ruby gems built on Savon (Rapleaf's marketo_gem, markety) sync "on
 * id" by sending the record's Id as an attribute too. It names the person, it changes nothing:
 * passed over when it repeats the record's Id, refused otherwise (an Id alone, or another
 * person's, would leave which person the call meant to the reader).
 */
function isIdAttribute(a: { name: string; value: string | null }, id: number | undefined): boolean {
  if (a.name.trim().toLowerCase() !== 'id') return false;
  const value = a.value?.trim() ?? '';
  if (id !== undefined && /^\d{1,10}$/.test(value) && Number(value) === id) return true;
  throw new AppError(
    ErrorCode.LEAD_ATTRIBUTE_BAD,
    id === undefined
      ? "Attribute Id: give the person's Id as the record's Id member"
      : `Attribute Id: ${value.slice(0, 16) || 'empty'} is not the record's Id ${id}`,
  );
}

function wireValue(a: LeadAttribute): string {
  if (a.type === 'datetime') return formatInstant(a.value);
  if (a.type !== 'boolean') return a.value;
  return a.value === 'true' ? '1' : a.value === 'false' ? '0' : a.value;
}

/** Domain lead → LeadRecord in schema order (Id, Email, ForeignSysPersonId, ForeignSysType, leadAttributeList). */
export function fromLeadView(
  lead: LeadView,
  include?: ReadonlySet<string>,
): Record<string, unknown> {
  // The vendor listed attributes by name, case-insensitively, and sent booleans as 1/0 (PHP
  // clients cast by attrType, and the string "false" casts to true).
  const attributes = lead.attributes
    .filter((a) => !include || include.has(a.name.toLowerCase()))
    .map((a) => ({ key: a.name.toLowerCase(), a }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    .map(({ a }) => ({ attrName: a.name, attrType: a.type, attrValue: wireValue(a) }));
  return {
    Id: lead.id,
    Email: lead.email,
    ForeignSysPersonId: lead.foreignSysPersonId,
    ForeignSysType: lead.foreignSysType,
    // None (includeAttributes naming none of its fields): an empty list, not nil, as the vendor
    // wrote its empty lists; stubs read it as a list of none (zeep, JAXB, .NET) rather than null.
    leadAttributeList: { attribute: attributes },
  };
}

/**
 * A New Lead's `Created Date` goes out as the day, as the vendor wrote it (`2015-09-04`), where
 * integrations read it as a date (PHP's createFromFormat('Y-m-d'), Java's LocalDate.parse): the
 * log keeps the instant (UTC), whose day is that of the activity's `activityDateTime` (UTC).
 */
function activityValue(a: ActivityView, name: string, value: string): string {
  return a.activityType === 'New Lead' && name === 'Created Date' && /^\d{4}-\d\d-\d\dT/.test(value)
    ? value.slice(0, 10)
    : value;
}

/** A datetime as the log keeps it (toISOString: milliseconds, Z). */
const STORED_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Whether `a` changed a datetime field: its Old Value and New Value then go out as the field's
 * own value does in a lead record (`2026-01-02T03:04:05+00:00`, milliseconds only when it has
 * some), so that a client applying New Value to its copy of the person reads the same text as
 * getLead gives (PHP's createFromFormat(DATE_W3C) fails on `.000Z`).
 */
function changesDateTime(a: ActivityView, catalogue: FieldCatalogue | undefined): boolean {
  if (!catalogue || a.activityType !== 'Change Data Value') return false;
  const field = a.attributes.find(([name]) => name === 'Attribute Name')?.[1];
  return field !== undefined && catalogue.find(field)?.type === 'datetime';
}

function activityAttributes(a: ActivityView, catalogue: FieldCatalogue | undefined) {
  const dateTime = changesDateTime(a, catalogue);
  return {
    attribute: a.attributes.map(([attrName, attrValue]) => ({
      attrName,
      attrType: null,
      attrValue:
        dateTime &&
        (attrName === 'Old Value' || attrName === 'New Value') &&
        STORED_INSTANT.test(attrValue)
          ? formatInstant(attrValue)
          : activityValue(a, attrName, attrValue),
    })),
  };
}

/** ActivityRecord in schema order (`catalogue`: the fields whose changes it shows). */
export function fromActivity(a: ActivityView, catalogue?: FieldCatalogue): Record<string, unknown> {
  return {
    id: a.id,
    activityDateTime: formatDateTime(a.createdAt),
    activityType: a.activityType,
    // No asset (a New Lead) and no campaign behind it: empty, not nil, as the vendor wrote them
    // (a JAX-WS or .NET stub reads "" rather than null, PHP a string).
    mktgAssetName: a.assetName ?? '',
    activityAttributes: activityAttributes(a, catalogue),
    campaign: '',
    personName: null,
    mktPersonId: String(a.leadId),
    foreignSysId: null,
    orgName: null,
    foreignSysOrgId: null,
  };
}

/** LeadChangeRecord in schema order (`catalogue`: the fields whose changes it shows). */
export function fromLeadChange(
  a: ActivityView,
  catalogue?: FieldCatalogue,
): Record<string, unknown> {
  return {
    id: a.id,
    activityDateTime: formatDateTime(a.createdAt),
    activityType: a.activityType,
    mktgAssetName: a.assetName,
    activityAttributes: activityAttributes(a, catalogue),
    // campaign (optional) left out when there is none, as the vendor's getLeadChanges did.
    mktPersonId: String(a.leadId),
  };
}
