import type { KeyColumnOf, KeyPageStart, TransactionScope } from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import { emailKey } from './email-key.js';
import { parseLeadId } from './lead-input.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import type { LeadKey } from './lead.types.js';
import type { LeadRecord } from './records.js';
import { salesforceIdSpellings } from '../formats/salesforce-id.js';

/** Finding people by the keys callers give (getLead, getMultipleLeads, deleteLead). */

/**
 * Key types of the vendor's LeadKeyRef whose values this service never holds (Munchkin cookies,
 * lead owners, Salesforce accounts and opportunities): valid keys that match no lead, so a
 * lookup by one is "not found" (20103), as the vendor answered a cookie it had never seen, and
 * never "bad key type" (20102, for names outside the enum). Clients look a visitor up by COOKIE
 * and create the lead on 20103. A lead owner's address is the exception: noMatch.
 */
const KEYS_NEVER_HELD: ReadonlySet<LeadKey['keyType']> = new Set([
  'COOKIE',
  'LEADOWNEREMAIL',
  'SFDCACCOUNTID',
  'SFDCLEADOWNERID',
  'SFDCOPPTYID',
]);

/**
 * What a lookup by one key that matched no lead answers: 20103, or for a LEADOWNEREMAIL 20108
 * Lead Owner Not Found, the vendor's code for a key naming an owner that does not exist (this
 * service keeps no lead owners, so every one names none).
 */
export function noMatch(key: LeadKey): AppError {
  return key.keyType === 'LEADOWNEREMAIL'
    ? new AppError(
        ErrorCode.LEAD_OWNER_NOT_FOUND,
        `No lead owner found with LEADOWNEREMAIL = ${key.keyValue.trim()}`,
      )
    : new AppError(ErrorCode.LEAD_NOT_FOUND, 'Lead not found');
}

/**
 * The lead ids among a selector's IDNUM values: a value that is no lead id (`abc`, `-5`, past
 * 2^31) matches no lead, as a key nobody holds, and the batch's other keys are still answered.
 */
function leadIdsAmong(values: readonly string[]): number[] {
  return values.flatMap((value) => {
    try {
      return [parseLeadId(value)];
    } catch {
      return [];
    }
  });
}

function unsupported(keyType: LeadKey['keyType']): AppError {
  return new AppError(
    ErrorCode.LEAD_KEY_BAD,
    `Key type ${keyType} is not supported by this service`,
  );
}

/**
 * Every lead a key matches (at most `limit`), most recently changed first for an address;
 * `partitions`: only the people of these (a SOAP user confined to them), chosen before the
 * limit, so that people elsewhere holding the address neither fill the answer nor show in it.
 */
export async function findByKey(
  repos: TransactionScope,
  key: LeadKey,
  limit?: number,
  partitions?: readonly string[],
): Promise<LeadRecord[]> {
  const found = await findAnywhere(repos, key, limit, partitions);
  return partitions ? found.filter((l) => partitions.includes(l.partition)) : found;
}

async function findAnywhere(
  repos: TransactionScope,
  key: LeadKey,
  limit: number | undefined,
  partitions: readonly string[] | undefined,
): Promise<LeadRecord[]> {
  const value = key.keyValue.trim();
  if (value === '') throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'Lead key value is empty');
  if (KEYS_NEVER_HELD.has(key.keyType)) return [];
  switch (key.keyType) {
    case 'IDNUM': {
      const lead = await repos.leads.findById(parseLeadId(value));
      return lead ? [lead] : [];
    }
    case 'EMAIL':
      return repos.leads.findByEmailKey(emailKey(value), false, limit, partitions);
    case 'SFDCLEADID':
    case 'SFDCCONTACTID': {
      const lead = await findBySalesforceId(repos, value);
      return lead ? [lead] : [];
    }
    default:
      throw unsupported(key.keyType);
  }
}

/**
 * The person holding a Salesforce record's id, stored in either form (an integration may have
 * written the 15-character one through syncLead; Salesforce sends the 18): each spelling by the
 * indexed column, the one given first, so that a person found as given costs the one lookup it
 * always did. `value` that is no Salesforce id matches as it is.
 */
export async function findBySalesforceId(
  repos: TransactionScope,
  value: string,
): Promise<LeadRecord | null> {
  for (const spelling of salesforceIdSpellings(value)) {
    const lead = await repos.leads.findByForeignId(spelling);
    if (lead) return lead;
  }
  return null;
}

/** Leads for many values of one key type, in id order; missing ones are skipped. */
export async function findByKeys(
  repos: TransactionScope,
  keyType: LeadKey['keyType'],
  values: readonly string[],
): Promise<LeadRecord[]> {
  if (KEYS_NEVER_HELD.has(keyType)) return [];
  switch (keyType) {
    case 'IDNUM':
      return repos.leads.findByIds(leadIdsAmong(values));
    case 'EMAIL':
      return repos.leads.findByEmailKeys(values.map(emailKey));
    case 'SFDCLEADID':
    case 'SFDCCONTACTID':
      return repos.leads.findByForeignIds(values.flatMap((v) => salesforceIdSpellings(v.trim())));
    default:
      throw unsupported(keyType);
  }
}

/**
 * One page of findByKeys (same leads, same id order) after a position, and how many follow
 * it: a page reads its own rows, so reading every page of an address many people hold costs
 * what the matches cost once, not once per page.
 */
export async function findPageByKeys(
  repos: TransactionScope,
  keyType: LeadKey['keyType'],
  values: readonly string[],
  after: KeyPageStart,
  limit: number,
  partitions?: readonly string[],
): Promise<{ leads: LeadRecord[]; remaining: number }> {
  if (KEYS_NEVER_HELD.has(keyType)) return { leads: [], remaining: 0 };
  let key: KeyColumnOf;
  let keys: readonly (string | number)[];
  switch (keyType) {
    case 'IDNUM':
      [key, keys] = ['id', leadIdsAmong(values)];
      break;
    case 'EMAIL':
      [key, keys] = ['emailKey', values.map(emailKey)];
      break;
    case 'SFDCLEADID':
    case 'SFDCCONTACTID':
      [key, keys] = ['foreignId', values.flatMap((v) => salesforceIdSpellings(v.trim()))];
      break;
    default:
      throw unsupported(keyType);
  }
  // Confined to partitions, the page, its count and its position hold none of the others.
  const leads = await repos.leads.pageByKeys(key, keys, after, limit, partitions);
  const last = leads[leads.length - 1];
  // Capped like every remainingCount (paging.ts): an exact count would read every match
  // after the page again on each page.
  const remaining = last
    ? await repos.leads.countByKeysAfter(key, keys, last.id, REMAINING_COUNT_CAP, partitions)
    : 0;
  return { leads, remaining };
}
