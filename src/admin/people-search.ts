import type { LeadKey, LeadView } from '../domain/lead.types.js';
import type { LeadService } from '../domain/lead.service.js';
import { AppError, ErrorCode } from '../errors.js';

export interface PeopleSearch {
  people: LeadView[];
  /** Set when the query was an address: the address page is worth a link even if nobody holds it. */
  email: string | null;
}

/** The keys one search box stands for: an address, or a number that may be an id or a foreign id. */
export function searchKeys(query: string): LeadKey[] {
  const value = query.trim();
  if (value === '') return [];
  if (value.includes('@')) return [{ keyType: 'EMAIL', keyValue: value }];
  const keys: LeadKey[] = [{ keyType: 'SFDCLEADID', keyValue: value }];
  if (/^\d{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= 2147483647)
    keys.unshift({ keyType: 'IDNUM', keyValue: value });
  return keys;
}

export async function searchPeople(leads: LeadService, query: string): Promise<PeopleSearch> {
  const keys = searchKeys(query);
  const byId = new Map<number, LeadView>();
  for (const key of keys) {
    try {
      for (const lead of await leads.find(key)) byId.set(lead.id, lead);
    } catch (error) {
      // No match for one reading of the query is not an error for the page.
      if (!(error instanceof AppError && error.code === ErrorCode.LEAD_NOT_FOUND)) throw error;
    }
  }
  return {
    people: [...byId.values()].sort((a, b) => a.id - b.id),
    email: keys[0]?.keyType === 'EMAIL' ? query.trim() : null,
  };
}
