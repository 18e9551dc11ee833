/**
 * The spellings of a token's base64url body: the padding senders' encoders add, and the one
 * canonical spelling of its bytes (link-token.ts).
 */

/**
 * A body without the "=" padding (RFC 4648, section 5) when it has just what its length takes:
 * the URL-safe encoders of Java, Go and Python pad by default, and a one-click to such a link
 * was refused while its GET was sent on (it looked good in a browser). Same bytes, same link;
 * any other "=" is left, for the alphabet to refuse.
 */
export function withoutPadding(body: string): string {
  const end = body.endsWith('==') ? body.length - 2 : body.endsWith('=') ? body.length - 1 : -1;
  if (end < 0 || body.length % 4 !== 0) return body;
  // Two characters past whole groups of four take "==", three take "=".
  return end % 4 === 4 - (body.length - end) ? body.slice(0, end) : body;
}

/** The value of a base64url character (the caller has checked the alphabet). */
function base64urlValue(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  return code === 45 ? 62 : 63; // - _
}

/** Whether unpadded base64url `text` (of the alphabet) is the one spelling of its bytes. */
export function canonicalBase64url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  // 2 characters carry 1 byte (4 bits spare), 3 carry 2 bytes (2 bits spare).
  const spare = rest === 2 ? 0x0f : 0x03;
  return (base64urlValue(text.charCodeAt(text.length - 1)) & spare) === 0;
}
