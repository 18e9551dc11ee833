import type { FieldCatalogue, FieldDefinition } from '../domain/field-catalogue.js';

// The catalogue's fields carry no change times of their own: one fixed time, so that the
// answer is the same on every call and every instance.
const CATALOGUE_UPDATED_AT = '2026-11-26T00:00:00+00:00';

function field(
  f: Pick<FieldDefinition, 'name' | 'displayName' | 'dataType' | 'type' | 'maxLength'>,
  flags: {
    readonly?: boolean;
    primaryKey?: boolean;
    custom?: boolean;
    name?: boolean;
    source?: string;
    description?: string;
  } = {},
): Record<string, unknown> {
  const sized = f.type === 'string' || f.type === 'text';
  return {
    name: f.name,
    description: flags.description ?? null,
    displayName: f.displayName,
    sourceObject: flags.source ?? 'Lead',
    dataType: f.dataType,
    size: sized ? f.maxLength : f.type === 'integer' ? 10 : null,
    isReadonly: flags.readonly ?? false,
    isUpdateBlocked: flags.readonly ?? false,
    isName: flags.name ?? false,
    isPrimaryKey: flags.primaryKey ?? false,
    isCustom: flags.custom ?? false,
    isDynamic: false,
    dynamicFieldRef: null,
    updatedAt: CATALOGUE_UPDATED_AT,
  };
}

/** describeMObject(LeadRecord): the LeadRecord members, then every field callers can sync. */
export function describeLeadRecord(catalogue: FieldCatalogue): Record<string, unknown> {
  const members = [
    field(
      { name: 'Id', displayName: 'Id', dataType: 'integer', type: 'integer', maxLength: 10 },
      { readonly: true, primaryKey: true },
    ),
    field(
      {
        name: 'Email',
        displayName: 'Email Address',
        dataType: 'email',
        type: 'string',
        maxLength: 254,
      },
      { name: true },
    ),
  ];
  return {
    name: 'LeadRecord',
    description: null,
    isCustom: false,
    isVirtual: false,
    fieldList: {
      field: [...members, ...catalogue.all().map((f) => field(f, { custom: f.column === null }))],
    },
    updatedAt: CATALOGUE_UPDATED_AT,
  };
}

/** One member of ActivityRecord, as getLeadActivity writes it: read-only, never synced. */
function activityMember(
  name: string,
  dataType: string,
  source: string,
  description: string,
  size: number | null,
): Record<string, unknown> {
  return {
    ...field(
      { name, displayName: name, dataType, type: 'string', maxLength: size ?? 0 },
      {
        readonly: true,
        primaryKey: name === 'id',
        name: name === 'activityType',
        source,
        description,
      },
    ),
    displayName: null,
    size,
  };
}

/**
 * describeMObject(ActivityRecord): the members of an activity record, in schema order, each of
 * the type and size the vendor's description gave it (the foreign system ids 50 characters).
 */
export function describeActivityRecord(): Record<string, unknown> {
  return {
    name: 'ActivityRecord',
    description: 'An activity of a lead: the event, the campaign behind it and the lead',
    isCustom: false,
    isVirtual: true,
    fieldList: {
      field: [
        activityMember('id', 'integer', 'Event', 'System id of the activity', 10),
        activityMember('activityDateTime', 'dateTime', 'Event', 'When it happened', null),
        activityMember('activityType', 'string', 'Event', 'Display name of the activity type', 255),
        activityMember('mktgAssetName', 'string', 'Event', 'Asset or field it concerns', 255),
        activityMember(
          'activityAttributes',
          'Array',
          'Event',
          'Name/value pairs of the activity',
          null,
        ),
        activityMember('campaign', 'string', 'Campaign', 'Campaign that caused it', 255),
        activityMember('personName', 'string', 'Lead', 'Name of the lead', 255),
        activityMember('mktPersonId', 'integer', 'Lead', 'System id of the lead', 10),
        activityMember('foreignSysId', 'string', 'Lead', "The lead's foreign system id", 50),
        activityMember('orgName', 'string', 'Company', "The lead's company", 255),
        activityMember(
          'foreignSysOrgId',
          'string',
          'Company',
          "The company's foreign system id",
          50,
        ),
      ],
    },
    updatedAt: CATALOGUE_UPDATED_AT,
  };
}
