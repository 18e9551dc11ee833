import type { FieldCatalogue, FieldDefinition } from '../domain/field-catalogue.js';

// The catalogue's fields carry no change times of their own: one fixed time, so that the
// answer is the same on every call and every instance.
const CATALOGUE_UPDATED_AT = '2026-11-26T00:00:00Z';

function field(
  f: Pick<FieldDefinition, 'name' | 'displayName' | 'dataType' | 'type' | 'maxLength'>,
  flags: { readonly?: boolean; primaryKey?: boolean; custom?: boolean; name?: boolean } = {},
): Record<string, unknown> {
  const sized = f.type === 'string' || f.type === 'text';
  return {
    name: f.name,
    description: null,
    displayName: f.displayName,
    sourceObject: 'Lead',
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
