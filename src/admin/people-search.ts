import type { LeadKey, LeadView } from '../domain/lead.types.js';
import type { Services } from '../domain/services.js';
import { AppError, ErrorCode } from '../errors.js';

/** People shown for an address: the address page pages through the rest. */
export const SEARCH_SHOWN = 50;

export interface PeopleSearch {
  people: LeadView[];
  /** How many the query matches in all (more than `people` holds for a crowded address). */
  total: number;
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

export async function searchPeople(services: Services, query: string): Promise<PeopleSearch> {
  const keys = searchKeys(query);
  if (keys[0]?.keyType === 'EMAIL') {
    // An address may be held by thousands: the first page of them, and how many in all.
    const page = await services.durableStatus.addressPage(query.trim(), {
      historyBefore: null,
      peopleAfter: 0,
      limit: SEARCH_SHOWN,
    });
    return {
      people: page.people.map((l) => services.leads.view(l)),
      total: page.peopleCount,
      email: query.trim(),
    };
  }
  const byId = new Map<number, LeadView>();
  for (const key of keys) {
    try {
      for (const lead of await services.leads.find(key)) byId.set(lead.id, lead);
    } catch (error) {
      // No match for one reading of the query is not an error for the page.
      if (!(error instanceof AppError && error.code === ErrorCode.LEAD_NOT_FOUND)) throw error;
    }
  }
  const people = [...byId.values()].sort((a, b) => a.id - b.id);
  return { people, total: people.length, email: null };
}
