import { AppError, ErrorCode } from '../errors.js';
import { isObject, type Raw } from './values.js';

/**
 * Member names are taken in any case, as the vendor's parser took them (`Attribute`,
 * `LeadRecord`), and node-soap keeps each spelling under its own key. A member sent under two
 * spellings at once was then read under one and the other dropped without a word (member()
 * finds the first, withDeclaredNames keeps the declared one): an opt-out in the second
 * spelling was answered CREATED and never stored, a batch answered fewer statuses than it had
 * records. Which one the client meant, and in what order the two spellings' elements came,
 * cannot be told from the parsed object: such a request is refused, not guessed.
 */

// Up to this many members an object's names are compared pair by pair, allocating nothing
// (a record or an attribute has a handful); past it, by a map of their lower case, so that an
// object of many names costs what their number does, not its square.
const PAIRWISE = 8;

const sameIgnoringCase = (a: string, b: string) =>
  a.length === b.length && a !== b && a.toLowerCase() === b.toLowerCase();

/** Two of `names` (but `attributes`) that differ only in case, or undefined. */
function twinsAmong(names: readonly string[]): [string, string] | undefined {
  if (names.length <= PAIRWISE) {
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++)
        if (sameIgnoringCase(names[i]!, names[j]!)) return [names[i]!, names[j]!];
    return undefined;
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) return [other, name];
    seen.set(lower, name);
  }
  return undefined;
}

/**
 * Throws 20110 when any element of `value` (the parsed paramsX element `name`, at any depth)
 * holds one member under two spellings that differ only in case. Its XML attributes
 * (`attributes`: xsi:type, xsi:nil) are no members, and no member's name is `attributes` in
 * another case, so they are compared with the rest.
 */
export function refuseCaseTwins(value: Raw, name: string): void {
  // Depth-first without recursion: the values still to look at, and the member each is.
  const values: Raw[] = [value];
  const names: string[] = [name];
  while (values.length > 0) {
    const v = values.pop();
    const where = names.pop()!;
    if (Array.isArray(v)) {
      for (const item of v) {
        if (typeof item !== 'object' || item === null) continue;
        values.push(item);
        names.push(where);
      }
      continue;
    }
    if (!isObject(v)) continue;
    const keys = Object.keys(v);
    const twins = keys.length > 1 ? twinsAmong(keys) : undefined;
    if (twins !== undefined) {
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `${where.slice(0, 64)} holds ${twins[0].slice(0, 64)} and ${twins[1].slice(0, 64)}: one member spelt two ways; spell it one way`,
      );
    }
    for (const k of keys) {
      const member = v[k];
      if (k === 'attributes' || typeof member !== 'object' || member === null) continue;
      values.push(member);
      names.push(k);
    }
  }
}
