/**
 * Salesforce record ids (15 and 18 characters): read by the Salesforce listener, and by the
 * settings, which check the ids they are given when the service starts; so beside both, not in
 * either.
 */
const SALESFORCE_ID = /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** A Salesforce id: 15 case-sensitive characters, optionally followed by 3 checksum characters. */
export function isSalesforceId(value: string): boolean {
  return SALESFORCE_ID.test(value);
}

/** The part of an id that identifies the record; 15- and 18-character forms share it. */
export function id15(id: string): string {
  return id.slice(0, 15);
}

/**
 * The 18-character form, the one the API returns and case-insensitive systems can hold:
 * each suffix character records which of 5 id characters are upper-case letters.
 */
export function id18(id: string): string {
  const base = id15(id);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = base.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return base + suffix;
}

/**
 * The id as Salesforce spells it, or null when it is no id. A 15-character id is taken as it
 * is. An 18-character id is checked against its suffix, and the case of its first 15
 * characters restored from it (a case-insensitive system may have changed it: that is what
 * the suffix is for); a suffix no spelling of those characters gives (a mistyped or made-up
 * id) makes it null.
 */
export function canonicalSalesforceId(id: string): string | null {
  if (!isSalesforceId(id)) return null;
  if (id.length === 15) return id;
  let base = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const bits = SUFFIX_ALPHABET.indexOf(id.charAt(15 + chunk).toUpperCase());
    if (bits < 0) return null;
    for (let i = 0; i < 5; i++) {
      const c = id.charAt(chunk * 5 + i);
      const upper = (bits & (1 << i)) !== 0;
      if (/[A-Za-z]/.test(c)) base += upper ? c.toUpperCase() : c.toLowerCase();
      else if (upper) return null;
      else base += c;
    }
  }
  return id18(base);
}

/**
 * The spellings a lookup by a Salesforce id tries: the value as given, then both forms of the
 * record it names (15 and 18 characters, case restored from the suffix). Anything that is no
 * Salesforce id is only itself.
 */
export function salesforceIdSpellings(value: string): string[] {
  const canonical = canonicalSalesforceId(value);
  if (canonical === null) return [value];
  return [...new Set([value, id18(canonical), id15(canonical)])];
}

/**
 * The 18-character form a Salesforce record is kept under, from either form a person may hold
 * (case restored from the suffix); anything that is no Salesforce id stays as it is.
 */
export function salesforceRecordId(value: string): string {
  const canonical = canonicalSalesforceId(value);
  return canonical === null ? value : id18(canonical);
}
