import { AppError, ErrorCode } from '../errors.js';

export const MAX_EMAIL_LENGTH = 254;

/** What the caller sent, trimmed; this is what is stored and shown. */
export function cleanEmail(raw: string): string {
  return raw.trim();
}

/**
 * The key every email match uses: trimmed, NFC-normalised and lower-cased with full
 * Unicode case mapping, so `ANN@Example.com ` and `ann@example.com` are one address.
 */
export function emailKey(raw: string): string {
  return cleanEmail(raw).normalize('NFC').toLowerCase();
}

// Deliberately loose: legacy systems hold odd but deliverable addresses; we refuse only
// what can never be an address (no @, whitespace or control characters inside, too long).
// Invisible format characters (category Cf: U+200B-U+200D, U+2060, U+FEFF, bidi marks, soft
// hyphen) are refused too: no mail system delivers to an address that holds them, yet kept
// they would make a key apart from the visible address, and an opt-out of one would not
// reach the other. Refusing rather than stripping keeps the stored Email the address sent.
// eslint-disable-next-line no-control-regex
const IMPOSSIBLE = /[\s\u0000-\u001f\u007f\p{Cf}]/u;

/** Validates an address and returns it cleaned, or throws LEAD_ATTRIBUTE_BAD. */
export function validateEmail(raw: string): string {
  const email = cleanEmail(raw);
  const at = email.lastIndexOf('@');
  // The key too: lower-casing can lengthen it (İ becomes i + U+0307) past the column.
  if (email.length > MAX_EMAIL_LENGTH || emailKey(email).length > MAX_EMAIL_LENGTH) {
    throw new AppError(
      ErrorCode.LEAD_ATTRIBUTE_BAD,
      `Email longer than ${MAX_EMAIL_LENGTH} characters`,
    );
  }
  if (at < 1 || at === email.length - 1 || IMPOSSIBLE.test(email)) {
    throw new AppError(ErrorCode.LEAD_ATTRIBUTE_BAD, 'Email is not a valid address');
  }
  return email;
}
