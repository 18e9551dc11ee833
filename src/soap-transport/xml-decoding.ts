/**
 * A request body's bytes as XML text: the encoding its first bytes, its XML declaration or its
 * Content-Type's charset name, read strictly, its line ends as XML reads them; and a lenient
 * reading of its start, for a look at the header while the rest is still arriving. (Reading
 * the bytes: request-body.ts.)
 */
import { AppError, ErrorCode } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Windows-1252's characters for the bytes 0x80-0x9F (the WHATWG's index: the five it leaves
 * unassigned stand for themselves); every other byte is the ISO-8859-1 character of its value.
 * Written out rather than asked of TextDecoder('windows-1252'), which in Node since 20.18.3
 * gives ISO-8859-1's C1 controls for them (U+0092 for the apostrophe 0x92).
 */
const CP1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** ISO-8859-1 as senders mean it: windows-1252, as browsers and the WHATWG read that label. */
function decodeWindows1252(body: Buffer): string {
  return body
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);
}

/** The encoding named by an XML declaration at the very start, lower-cased, or null. */
const DECLARED_ENCODING = /^<\?xml\s[^>]{0,200}?\bencoding\s*=\s*(?:"([^"]{0,40})"|'([^']{0,40})')/;
const UTF8_LABELS = new Set(['utf-8', 'utf8']);
const ASCII_LABELS = new Set(['us-ascii', 'ascii']);
const LATIN1_LABELS = new Set([
  'iso-8859-1',
  'iso8859-1',
  'iso_8859-1',
  'iso8859_1',
  'latin1',
  'l1',
  'windows-1252',
  'cp1252',
]);

/** How nearly every client starts (any case, either quote): UTF-8, nothing more to read. */
const COMMON_DECLARATION = Buffer.from('<?xml version="1.0" encoding="utf-8"?>', 'latin1');

function startsWithCommonDeclaration(body: Buffer): boolean {
  if (body.length < COMMON_DECLARATION.length) return false;
  for (let i = 0; i < COMMON_DECLARATION.length; i++) {
    let c = body[i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    else if (c === 0x27) c = 0x22;
    if (c !== COMMON_DECLARATION[i]) return false;
  }
  return true;
}

function declaredEncoding(body: Buffer): string | null {
  // '<?': nothing else (a BOM, another encoding's bytes) can start a declaration read here.
  if (body[0] !== 0x3c || body[1] !== 0x3f) return null;
  // The declaration alone, up to its '>' (read no further than 256 bytes).
  const end = body.subarray(0, 256).indexOf(0x3e);
  if (end < 0) return null;
  const match = DECLARED_ENCODING.exec(body.toString('latin1', 0, end + 1));
  return match ? (match[1] ?? match[2]!).trim().toLowerCase() : null;
}

function isAscii(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) if (body[i]! >= 0x80) return false;
  return true;
}

/** The charset parameter of a Content-Type header, lower-cased, or null. */
function charsetOf(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const match = /;\s*charset\s*=\s*(?:"([^"]{0,40})"|([^;\s]{1,40}))/i.exec(contentType);
  return match ? (match[1] ?? match[2]!).trim().toLowerCase() : null;
}

/**
 * The encoding the first bytes show (XML 1.0, appendix F): a byte order mark, or for UTF-16
 * the '<' of the document in two bytes (.NET clients set to Encoding.Unicode send it).
 */
function encodingOfBytes(body: Buffer): 'utf-8' | 'utf-16le' | 'utf-16be' | null {
  if (body.length < 2) return null;
  const [a, b] = [body[0]!, body[1]!];
  if ((a === 0xff && b === 0xfe) || (a === 0x3c && b === 0x00)) return 'utf-16le';
  if ((a === 0xfe && b === 0xff) || (a === 0x00 && b === 0x3c)) return 'utf-16be';
  if (a === 0xef && b === 0xbb && body[2] === 0xbf) return 'utf-8';
  return null;
}

/**
 * UTF-32 by its first four bytes (a byte order mark, or '<' in four bytes): never read here
 * (the decoders do not know it), and read as UTF-16 every other character is a NUL, which the
 * guard would name instead of the encoding. (UTF-16 never starts so: a NUL is no XML.)
 */
function isUtf32(body: Buffer): boolean {
  if (body.length < 4) return false;
  const [a, b, c, d] = [body[0]!, body[1]!, body[2]!, body[3]!];
  if (c === 0 && d === 0) return (a === 0xff && b === 0xfe) || (a === 0x3c && b === 0);
  return a === 0 && b === 0 && ((c === 0xfe && d === 0xff) || (c === 0 && d === 0x3c));
}

/** Lenient: a look at a head may cut a character in two at its end. */
const headUtf8 = new TextDecoder('utf-8');

/**
 * The start of a body as text, for a look at its header while the rest is still arriving: in
 * UTF-16 when its first bytes show it (a byte order mark, or '<' in two bytes), else as UTF-8;
 * leniently (a character cut at the end, a Latin-1 byte, becomes U+FFFD). The whole body is
 * decoded strictly afterwards (decodeXmlBody).
 */
export function decodeXmlHead(head: Buffer): string {
  const shown = encodingOfBytes(head);
  return shown === 'utf-16le' || shown === 'utf-16be'
    ? new TextDecoder(shown).decode(head)
    : headUtf8.decode(head);
}

function decodeUtf16(body: Buffer, order: 'utf-16le' | 'utf-16be'): string {
  try {
    return new TextDecoder(order, { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Request body is not valid UTF-16');
  }
}

/**
 * A request body as text. In the encoding its first bytes show (a byte order mark; UTF-16's
 * '<' in two bytes); otherwise in the encoding its XML declaration names or, without one, the
 * charset of its Content-Type: UTF-8 (also when neither names one, and US-ASCII, a part of it),
 * or ISO-8859-1 (windows-1252). Read as UTF-8, Latin-1 bytes that happen to form UTF-8
 * sequences ("Ã©") would be stored as other characters ("é"); any other encoding named is
 * refused (20012) rather than guessed, as is UTF-32 its first bytes show. A declaration or charset of UTF-16 on a body in single
 * bytes is a mislabel that cannot be UTF-16, read as UTF-8 as before. (The declaration is
 * preferred to the header: it is written by what encoded the bytes, while a header's charset
 * is often an HTTP library's default.) Its line ends are then read as XML reads them.
 */
export function decodeXmlBody(body: Buffer, contentType?: string): string {
  return withXmlLineEnds(decodeText(body, contentType));
}

/**
 * Line ends as XML reads them (XML 1.0, 2.11): CR LF, and a CR alone, are one LF before
 * anything is parsed; a CR written as a reference (`&#13;`) stays. .NET's XmlWriter writes
 * each new line of a value as CR LF (which its own reader reads as LF): read otherwise, a
 * multi-line value sent by .NET and by a client writing LF would be stored as two values.
 */
function withXmlLineEnds(xml: string): string {
  return xml.includes('\r') ? xml.replace(/\r\n?/g, '\n') : xml;
}

function decodeText(body: Buffer, contentType?: string): string {
  if (startsWithCommonDeclaration(body)) return decodeUtf8(body);
  if (isUtf32(body))
    throw new AppError(
      ErrorCode.REQUEST_NOT_UNDERSTOOD,
      'Request body is in UTF-32; send UTF-8 (or ISO-8859-1, or UTF-16)',
    );
  const shown = encodingOfBytes(body);
  if (shown === 'utf-8') return decodeUtf8(body);
  if (shown) return decodeUtf16(body, shown);
  const declared = declaredEncoding(body);
  const named = declared ?? charsetOf(contentType);
  if (
    named === null ||
    UTF8_LABELS.has(named) ||
    named.startsWith('utf-16') ||
    ASCII_LABELS.has(named)
  )
    return decodeUtf8(body);
  if (LATIN1_LABELS.has(named)) return decodeWindows1252(body);
  // A header's other charset on a body of ASCII alone names the same text (in every charset a
  // SOAP stack would name): read, as before the header was looked at.
  if (declared === null && isAscii(body)) return body.toString('latin1');
  throw new AppError(
    ErrorCode.REQUEST_NOT_UNDERSTOOD,
    `Request body ${declared === null ? 'is announced in' : 'declares'} encoding ${named.slice(0, 40)}; send UTF-8 (or ISO-8859-1, or UTF-16)`,
  );
}

/** Decodes UTF-8 strictly (a BOM is dropped); invalid bytes are the caller's error. */
function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'Request body is not valid UTF-8');
  }
}
