import { AppError, ErrorCode } from '../errors.js';

/**
 * The XML lexis the envelope guard checks and reads: names, characters, references, and the
 * text of a header field. Strict on purpose: only what SOAP stacks write.
 */

// A deliberately narrow XML Name (optionally prefixed): what SOAP stacks emit, and nothing
// node-soap's own parser could read differently.
export const NAME_START =
  'A-Za-z_\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
export const NAME_CHAR = `${NAME_START}0-9.\\-\\u00B7\\u0300-\\u036F\\u203F\\u2040`;
// Ranges of the XML Name production, combining marks included on purpose.
/* eslint-disable no-misleading-character-class */
export const NAME = new RegExp(
  `[${NAME_START}][${NAME_CHAR}]*(?::[${NAME_START}][${NAME_CHAR}]*)?`,
  'y',
);
/* eslint-enable no-misleading-character-class */
/** XML 1.0's XMLDecl production (23), whole: version, then an encoding and standalone if any. */
export const XML_DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>$/;
export const REFERENCE = /&(?:lt|gt|amp|apos|quot|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));/y;
export const DECODE = /&(?:lt|gt|amp|apos|quot);/g;
export const DECODE_ALL = /&(?:lt|gt|amp|apos|quot|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));/g;
// Outside the XML 1.0 Char production: C0 controls but tab, LF and CR; U+FFFE, U+FFFF; and
// surrogates standing alone (strict UTF-8 decoding never yields them, other callers might).
// eslint-disable-next-line no-control-regex
export const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u;
export const PREDEFINED: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&apos;': "'",
  '&quot;': '"',
};

export const notUnderstood = (why: string) => new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, why);
export const malformed = (why: string) => notUnderstood(`Malformed XML: ${why}`);
/** `what`: Element or Attribute. */
export const nameTooLong = (what: string, max: number) =>
  notUnderstood(`${what} name longer than ${max} characters`);

export const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

/** Whether the end tag of `name` starts at `at` (`</x>`, `</x >`): an element closed at once. */
export function endTagAt(xml: string, at: number, name: string): boolean {
  if (!xml.startsWith('</', at) || !xml.startsWith(name, at + 2)) return false;
  let i = at + 2 + name.length;
  while (isSpace(xml.charCodeAt(i))) i++;
  return xml.charCodeAt(i) === 0x3e;
}

export function onlySpace(xml: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(xml.charCodeAt(i))) return false;
  return true;
}

export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

export const hex4 = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first index of a character code within xml[from, to), or -1. */
export function indexIn(xml: string, code: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (xml.charCodeAt(i) === code) return i;
  return -1;
}

/**
 * Every `&` in xml[from, to) must start a predefined entity or a reference to an XML Char. The
 * search looks at that stretch only: searching the whole document from `from` would walk to its
 * end for every text node without an `&`.
 */
export function checkReferences(xml: string, from: number, to: number): void {
  if (indexIn(xml, 0x26 /* & */, from, to) === -1) return;
  const part = xml.substring(from, to);
  let amp = part.indexOf('&');
  while (amp !== -1) {
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(part);
    if (!m) throw malformed('Invalid character entity');
    if (m[1] !== undefined || m[2] !== undefined) {
      const cp = m[1] !== undefined ? Number(m[1]) : parseInt(m[2]!, 16);
      if (!isXmlChar(cp))
        throw notUnderstood(`Character reference ${m[0]} is not an XML 1.0 character`);
    }
    amp = part.indexOf('&', REFERENCE.lastIndex);
  }
}

/** Character data xml[from, to): its references as checkReferences has them, and no `]]>`. */
export function checkCharData(xml: string, from: number, to: number): void {
  checkReferences(xml, from, to);
  if (indexIn(xml, 0x5d /* ] */, from, to) !== -1 && xml.slice(from, to).includes(']]>'))
    throw malformed(']]> in text');
}

export const decode = (value: string) =>
  value.includes('&') ? value.replace(DECODE, (e) => PREDEFINED[e]!) : value;

/** Text with every reference replaced (the references were checked by checkReferences). */
export const decodeAll = (value: string) =>
  value.includes('&')
    ? value.replace(DECODE_ALL, (e, dec?: string, hex?: string) =>
        dec !== undefined
          ? String.fromCodePoint(Number(dec))
          : hex !== undefined
            ? String.fromCodePoint(parseInt(hex, 16))
            : PREDEFINED[e]!,
      )
    : value;

/**
 * The text content of a header field (character data, references and CDATA, nothing else),
 * trimmed as node-soap trims text: clients sign what node-soap used to hand us.
 */
export function fieldText(raw: string): string | undefined {
  return untrimmedFieldText(raw)?.trim();
}

function untrimmedFieldText(raw: string): string | undefined {
  if (!raw.includes('<')) return decodeAll(raw);
  let out = '';
  let at = 0;
  while (at < raw.length) {
    const lt = raw.indexOf('<', at);
    if (lt === -1) return out + decodeAll(raw.slice(at));
    out += decodeAll(raw.slice(at, lt));
    if (raw.startsWith('<![CDATA[', lt)) {
      const close = raw.indexOf(']]>', lt + 9);
      out += raw.slice(lt + 9, close);
      at = close + 3;
    } else if (raw.startsWith('<!--', lt)) {
      at = raw.indexOf('-->', lt + 4) + 3;
    } else {
      return undefined; // an element where text belongs
    }
  }
  return out;
}
