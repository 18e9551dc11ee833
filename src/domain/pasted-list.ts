import { AppError, ErrorCode } from '../errors.js';
import { emailKey, validateEmail } from './email-key.js';
import { parseLeadId } from './lead.service.js';

/** Entries a pasted list may hold unless CONSOLE_PASTED_MAX says otherwise. */
export const DEFAULT_MAX_PASTED = 10000;

/** Ids and addresses pasted one per line (or separated by commas, spaces or semicolons). */
export function parsePastedList(
  text: string,
  /** Entries the list may hold (CONSOLE_PASTED_MAX): beyond it, select by a search instead. */
  maxEntries = DEFAULT_MAX_PASTED,
): { ids: number[]; emailKeys: string[] } {
  const ids = new Set<number>();
  const keys = new Set<string>();
  const tokens = text.split(/[\s,;]+/).filter((t) => t !== '');
  if (tokens.length > maxEntries)
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      `A pasted list may hold at most ${maxEntries} entries; select by a search instead`,
    );
  for (const token of tokens) {
    if (token.includes('@')) keys.add(emailKey(validateEmail(token)));
    else if (/^\d+$/.test(token)) ids.add(parseLeadId(token));
    else
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `"${token.slice(0, 64)}" is neither a person id nor an address`,
      );
  }
  return { ids: [...ids], emailKeys: [...keys] };
}
