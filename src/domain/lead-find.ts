import type { KeyColumnOf, KeyPageStart, TransactionScope } from './ports.js';
import { AppError, ErrorCode } from '../errors.js';
import { emailKey } from './email-key.js';
import { parseLeadId } from './lead-input.js';
import { REMAINING_COUNT_CAP } from './paging.js';
import type { LeadKey } from './lead.types.js';
import type { LeadRecord } from './records.js';

/** Finding people by the keys callers give (getLead, getMultipleLeads, deleteLead). */

/** Every lead a key matches (at most `limit`), most recently changed first for an address. */
export async function findByKey(
  repos: TransactionScope,
  key: LeadKey,
  limit?: number,
): Promise<LeadRecord[]> {
  const value = key.keyValue.trim();
  if (value === '') throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'Lead key value is empty');
  switch (key.keyType) {
    case 'IDNUM': {
      const lead = await repos.leads.findById(parseLeadId(value));
      return lead ? [lead] : [];
    }
    case 'EMAIL':
      return repos.leads.findByEmailKey(emailKey(value), false, limit);
    case 'SFDCLEADID':
    case 'SFDCCONTACTID': {
      const lead = await repos.leads.findByForeignId(value);
      return lead ? [lead] : [];
    }
    default:
      throw new AppError(
        ErrorCode.LEAD_KEY_BAD,
        `Key type ${key.keyType} is not supported by this service`,
      );
  }
}

/** Leads for many values of one key type, in id order; missing ones are skipped. */
export async function findByKeys(
  repos: TransactionScope,
  keyType: LeadKey['keyType'],
  values: readonly string[],
): Promise<LeadRecord[]> {
  switch (keyType) {
    case 'IDNUM':
      return repos.leads.findByIds(values.map(parseLeadId));
    case 'EMAIL':
      return repos.leads.findByEmailKeys(values.map(emailKey));
    case 'SFDCLEADID':
    case 'SFDCCONTACTID':
      return repos.leads.findByForeignIds(values.map((v) => v.trim()));
    default:
      throw new AppError(
        ErrorCode.LEAD_KEY_BAD,
        `Key type ${keyType} is not supported by this service`,
      );
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
): Promise<{ leads: LeadRecord[]; remaining: number }> {
  let key: KeyColumnOf;
  let keys: readonly (string | number)[];
  switch (keyType) {
    case 'IDNUM':
      [key, keys] = ['id', values.map(parseLeadId)];
      break;
    case 'EMAIL':
      [key, keys] = ['emailKey', values.map(emailKey)];
      break;
    case 'SFDCLEADID':
    case 'SFDCCONTACTID':
      [key, keys] = ['foreignId', values.map((v) => v.trim())];
      break;
    default:
      throw new AppError(
        ErrorCode.LEAD_KEY_BAD,
        `Key type ${keyType} is not supported by this service`,
      );
  }
  const leads = await repos.leads.pageByKeys(key, keys, after, limit);
  const last = leads[leads.length - 1];
  // Capped like every remainingCount (paging.ts): an exact count would read every match
  // after the page again on each page.
  const remaining = last
    ? await repos.leads.countByKeysAfter(key, keys, last.id, REMAINING_COUNT_CAP)
    : 0;
  return { leads, remaining };
}
