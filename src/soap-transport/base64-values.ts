import { AppError, ErrorCode } from '../errors.js';

/**
 * Values a client typed as binary: SOAP::Lite's autotyping writes every string holding a
 * character outside printable ASCII as `xsi:type="xsd:base64Binary"` (`SOAP-ENC:base64` under
 * its 1999 schema), the text base64 of its bytes, so a Perl integration syncing "Zoë" sends
 * `Wm/Dqw==`. The vendor's server read a value by its xsi:type; read so, the value is its text
 * again instead of being stored as base64.
 */
const BASE64_TYPES = new Set(['base64Binary', 'base64']);

/** Whether an xsi:type value (any prefix) names base64 text. */
export function isBase64Type(xsiType: unknown): boolean {
  const type =
    typeof xsiType === 'object' && xsiType !== null
      ? (xsiType as { type?: unknown }).type
      : xsiType;
  if (typeof type !== 'string') return false;
  return BASE64_TYPES.has(type.slice(type.indexOf(':') + 1).trim());
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// What XML 1.0 text can hold: a decoded value is written back in answers.
const NOT_XML_TEXT = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text base64 carries: its bytes read as UTF-8 (a Perl character string's, or a byte
 * string read from a UTF-8 file), else as ISO-8859-1 (a byte string of Latin-1, which Perl
 * reads so). Refused (20110) when it is not base64 or decodes to what XML text cannot hold.
 */
export function base64Text(encoded: string, name: string): string {
  const compact = encoded.replace(/[\t\n\r ]/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact))
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      `${name} is typed xsd:base64Binary but its text is not base64`,
    );
  const bytes = Buffer.from(compact, 'base64');
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    decoded = bytes.toString('latin1');
  }
  if (NOT_XML_TEXT.test(decoded))
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      `${name} is typed xsd:base64Binary and decodes to a character XML text cannot hold`,
    );
  return decoded;
}
