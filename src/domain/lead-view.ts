import type { FieldCatalogue } from './field-catalogue.js';
import type { LeadView } from './lead.types.js';
import type { LeadRecord } from './records.js';

/** A lead as callers see it: the catalogue's fields, empty ones left out. */
export function leadView(lead: LeadRecord, catalogue: FieldCatalogue): LeadView {
  const attributes = [];
  for (const field of catalogue.all()) {
    const raw = field.column ? lead.columns[field.column] : lead.custom[field.name];
    // Empty values are left out of responses, as the legacy API did; false is a value.
    if (raw === null || raw === undefined || raw === '') continue;
    attributes.push({ name: field.name, type: field.dataType, value: String(raw) });
  }
  return {
    id: lead.id,
    email: lead.email,
    foreignSysPersonId: lead.foreignSysPersonId,
    foreignSysType: lead.foreignSysType,
    partition: lead.partition,
    unsubscribed: lead.unsubscribed,
    attributes,
    createdAt: new Date(lead.createdAt),
    updatedAt: new Date(lead.updatedAt),
  };
}
