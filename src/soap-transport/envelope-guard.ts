import { SOAP12_NS, VersionMismatch } from './envelope-faults.js';
import { SOAP11_NS } from './fault-envelope.js';
import {
  NAME,
  NOT_XML_CHAR,
  notUnderstood,
  malformed,
  nameTooLong,
  isSpace,
  onlySpace,
  endTagAt,
  hex4,
  indexIn,
  checkCharData,
  checkReferences,
  decode,
  decodeAll,
  XML_DECLARATION,
} from './xml-lexis.js';
import type { ElementNode, ElementTree } from './schema-elements.js';
import { checkCdata, checkMultiRef, XsiPrefixes } from './node-soap-inputs.js';
import {
  DocumentPrefixes,
  checkAttributePrefixes,
  checkMemberNamespace,
  checkPiece,
  nilNotEmpty,
  type OpenContent,
} from './standard-reading.js';
import {
  CredentialsReader,
  mustUnderstandEntry,
  type HeaderCredentials,
} from './header-entries.js';

export type { HeaderCredentials } from './header-entries.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface GuardLimits {
  maxDepth: number;
  maxNameLength: number;
  /** Attributes (namespace declarations included) one element may carry. */
  maxAttributes?: number;
  /** Element names the schema declares; any other name inside the Body is refused. */
  knownElements?: ReadonlySet<string>;
  /**
   * Which members each element of the Body may hold: a name declared elsewhere in the schema
   * but not in its parent's type is refused as unknown too.
   */
  elementTree?: ElementTree;
  /**
   * Local names of the header entries the service processes: any other entry marked
   * mustUnderstand="1" for this service is named in the summary. Unset: not looked at.
   */
  understoodHeaders?: ReadonlySet<string>;
  /**
   * An empty element (`<lastCreatedAt/>`, `<lastCreatedAt></lastCreatedAt>`) holds no value: one
   * the schema does not declare is let through rather than named as unknown, as the vendor's
   * parser let it (its Ruby sample sends `startPosition/lastCreatedAt`). One with content is not.
   */
  skipEmptyUnknown?: boolean;
  /** false: refuse `id` and `href` attributes (SOAP encoding's multiRef) altogether. */
  multiRef?: boolean;
  /**
   * true: every element below the Body's own element must be in no namespace or in the Body
   * element's (where the schema has them). node-soap matches members by local name alone, so
   * `<x:Email xmlns:x="urn:other">` would be read as the schema's Email: refused instead.
   */
  membersInBodyNamespace?: boolean;
}

export interface EnvelopeHead {
  /** The mktows AuthenticationHeader of the SOAP Header, or null when there is none. */
  credentials: HeaderCredentials | null;
}

export interface EnvelopeSummary extends EnvelopeHead {
  /** Namespace and local name of the Body's single child. */
  bodyElement: { ns: string; local: string };
  /** The first element inside the Body that the schema does not declare (where it stands). */
  unknownElement?: string;
  /** The element holding unknownElement, when the element tree placed it. */
  unknownElementParent?: string;
  /** The first header entry marked mustUnderstand="1" for us that is not understood. */
  headerNotUnderstood?: string;
}

/** Attributes per element when the caller sets no limit: far more than any SOAP stack writes. */
export const DEFAULT_MAX_ATTRIBUTES = 100;

// Names that would reach object prototypes in node-soap's parsed arguments.
const FORBIDDEN_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).concat(['prototype']));

interface Open extends OpenContent {
  /** Prefix → namespace declared on this element, when it declares any. */
  scope: Map<string, string> | null;
  /** Its place in the Body's element tree; null outside the Body or below an unknown element. */
  node: ElementNode | null;
}

/**
 * Checks the whole envelope in one pass before node-soap parses it: well-formed, no DTD or
 * entities, no processing instructions, bounded depth and names, bound prefixes, a SOAP 1.1
 * Envelope with at most one Header and exactly one Body holding exactly one element. Throws
 * AppError on anything else. A scanner, not a general parser: it jumps from `<` to `<` and
 * accepts a strict subset of XML, so that node-soap's parser never meets what it would choke on
 * (a property the unit tests check against sax on mutated envelopes).
 */
export function inspectEnvelope(xml: string, limits: GuardLimits): EnvelopeSummary {
  return scan(xml, limits, false) as EnvelopeSummary;
}

/**
 * Scans the start of an envelope up to the start tag of its SOAP Body, with the same checks as
 * inspectEnvelope, and returns the AuthenticationHeader found on the way: so that a request can
 * be authenticated (or refused) before the rest of it is read. Returns null when `xml` ends
 * before the Body starts; throws what inspectEnvelope would (or, on a truncated prefix, an
 * error the whole document might not have).
 */
export function inspectHead(xml: string, limits: GuardLimits): EnvelopeHead | null {
  return scan(xml, limits, true);
}

function scan(xml: string, limits: GuardLimits, untilBody: boolean): EnvelopeHead | null {
  const bad = NOT_XML_CHAR.exec(xml);
  if (bad) {
    throw notUnderstood(
      `Character ${hex4(bad[0].codePointAt(0)!)} at offset ${bad.index} is not allowed in XML 1.0`,
    );
  }
  const maxAttributes = limits.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;
  const stack: Open[] = [];
  let seenRoot = false;
  let rootClosed = false;
  let inBody = false;
  let bodyCount = 0;
  let headerCount = 0;
  let bodyChildren = 0;
  let bodyElement: EnvelopeSummary['bodyElement'] | null = null;
  // The same, for the check below (the compiler does not see bodyElement assigned).
  let body = { ns: '', local: '' };
  let unknownElement: string | undefined;
  let unknownElementParent: string | undefined;
  let headerNotUnderstood: string | undefined;
  let inHeader = false;
  const credentials = new CredentialsReader();
  const xsiPrefixes = new XsiPrefixes();
  const multiRef = limits.multiRef ?? true;

  const resolve = (prefix: string): string | undefined => {
    if (prefix === 'xml') return XML_NS;
    for (let i = stack.length - 1; i >= 0; i--) {
      const uri = stack[i]!.scope?.get(prefix);
      if (uri !== undefined) return uri;
    }
    return prefix === '' ? '' : undefined;
  };

  // Text that is not blank: see standard-reading.ts. (The guard reads the AuthenticationHeader's
  // fields itself, whole, as XML does; node-soap reads the rest.)
  const addPiece = (top: Open, nonBlank: boolean) => {
    if (nonBlank) checkPiece(top, inBody || (inHeader && !credentials.open));
  };
  const prefixes = new DocumentPrefixes();

  const readName = (at: number, what = 'Element'): string => {
    NAME.lastIndex = at;
    if (!NAME.test(xml)) throw malformed('Invalid name');
    if (NAME.lastIndex - at > limits.maxNameLength) throw nameTooLong(what, limits.maxNameLength);
    return xml.slice(at, NAME.lastIndex);
  };

  let pos = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  // The XML declaration may stand only here, before anything else (XML 1.0, production 22):
  // after a space or a comment it is a processing instruction of a reserved target, and the
  // encoding it names would not be the one the body was read in (xml-decoding.ts looks for
  // it at the very start only).
  const declarationAt = pos;
  const end = xml.length;
  while (pos < end) {
    const lt = xml.indexOf('<', pos);
    const textEnd = lt === -1 ? end : lt;
    if (textEnd > pos) {
      if (stack.length === 0) {
        if (!onlySpace(xml, pos, textEnd)) throw notUnderstood('Text outside the envelope');
      } else {
        checkCharData(xml, pos, textEnd);
        const top = stack[stack.length - 1]!;
        if (!onlySpace(xml, pos, textEnd))
          addPiece(top, decodeAll(xml.slice(pos, textEnd)).trim() !== '');
      }
    }
    if (lt === -1) break;
    const next = xml.charCodeAt(lt + 1);

    if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        const close = xml.indexOf('-->', lt + 4);
        if (close === -1) throw malformed('Unterminated comment');
        const dashes = xml.indexOf('--', lt + 4);
        if (dashes !== close || (close > lt + 4 && xml.charCodeAt(close - 1) === 0x2d))
          throw malformed('Malformed comment');
        pos = close + 3;
      } else if (xml.startsWith('<![CDATA[', lt)) {
        if (stack.length === 0) throw notUnderstood('Text outside the envelope');
        const close = xml.indexOf(']]>', lt + 9);
        if (close === -1) throw malformed('Unterminated CDATA section');
        checkCdata(xml, lt + 9, close);
        addPiece(stack[stack.length - 1]!, xml.slice(lt + 9, close).trim() !== '');
        pos = close + 3;
      } else if (xml.slice(lt + 2, lt + 9).toUpperCase() === 'DOCTYPE') {
        throw notUnderstood('DOCTYPE declarations are not accepted');
      } else {
        throw malformed('Unexpected markup declaration');
      }
      continue;
    }

    if (next === 0x3f /* ? */) {
      const close = xml.indexOf('?>', lt + 2);
      const target = /^[^\s?]*/.exec(xml.slice(lt + 2, lt + 66))![0];
      if (target !== 'xml' || close === -1 || xml.lastIndexOf('<', close) !== lt)
        throw notUnderstood('Processing instructions are not accepted');
      if (lt !== declarationAt)
        throw notUnderstood(
          'An XML declaration is accepted at the very start of the envelope only',
        );
      if (!XML_DECLARATION.test(xml.slice(lt, close + 2))) throw malformed('XML declaration');
      pos = close + 2;
      continue;
    }

    if (next === 0x2f /* / */) {
      const name = readName(lt + 2);
      let i = NAME.lastIndex;
      while (isSpace(xml.charCodeAt(i))) i++;
      if (xml.charCodeAt(i) !== 0x3e) throw malformed('Invalid closing tag');
      const open = stack.pop();
      if (!open || open.name !== name) throw malformed(`Unmatched closing tag: ${name}`);
      credentials.closed(xml, lt, stack.length);
      if (stack.length === 1) inBody = inHeader = false;
      if (stack.length === 0) rootClosed = true;
      pos = i + 1;
      continue;
    }

    // A start tag: its name, then attributes until > or />.
    const name = readName(lt + 1);
    let i = NAME.lastIndex;
    let scope: Map<string, string> | null = null;
    let attributes: Set<string> | null = null;
    /** A header entry's SOAP attributes: mustUnderstand and actor, by their names as written. */
    let headerAttributes: Map<string, string> | null = null;
    /** Its prefixed nil and type attributes: prefix, local name, value as written. */
    let xsiAttributes: Array<[string, string, string]> | null = null;
    let selfClosing = false;
    for (;;) {
      const before = i;
      while (isSpace(xml.charCodeAt(i))) i++;
      const c = xml.charCodeAt(i);
      if (c === 0x3e) break;
      if (c === 0x2f && xml.charCodeAt(i + 1) === 0x3e) {
        selfClosing = true;
        i++;
        break;
      }
      if (Number.isNaN(c)) throw malformed('Unterminated start tag');
      if (i === before) throw malformed('No whitespace between attributes');
      const attribute = readName(i, 'Attribute');
      i = NAME.lastIndex;
      while (isSpace(xml.charCodeAt(i))) i++;
      if (xml.charCodeAt(i) !== 0x3d) throw malformed('Attribute without value');
      i++;
      while (isSpace(xml.charCodeAt(i))) i++;
      const quote = xml.charCodeAt(i);
      if (quote !== 0x22 && quote !== 0x27) throw malformed('Unquoted attribute value');
      const close = xml.indexOf(quote === 0x22 ? '"' : "'", i + 1);
      if (close === -1) throw malformed('Unterminated attribute value');
      // Look for < inside the value only: searching on from it would cross every later
      // attribute of the element, once per attribute.
      if (indexIn(xml, 0x3c /* < */, i + 1, close) !== -1)
        throw malformed('< in an attribute value');
      checkReferences(xml, i + 1, close);
      checkMultiRef(attribute, xml.slice(i + 1, close), multiRef);
      attributes ??= new Set();
      if (attributes.has(attribute)) throw malformed(`Repeated attribute ${attribute}`);
      attributes.add(attribute);
      if (attributes.size > maxAttributes)
        throw notUnderstood(`More than ${maxAttributes} attributes on one element`);
      const colon = attribute.indexOf(':');
      const local = colon === -1 ? attribute : attribute.slice(colon + 1);
      if (FORBIDDEN_NAMES.has(local))
        throw notUnderstood(`Attribute name ${local} is not accepted`);
      if (inHeader && stack.length === 2 && (local === 'mustUnderstand' || local === 'actor'))
        (headerAttributes ??= new Map()).set(attribute, decode(xml.slice(i + 1, close)).trim());
      if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
        const uri = decode(xml.slice(i + 1, close));
        if (colon !== -1 && uri === '') throw malformed(`Empty namespace for ${attribute}`);
        xsiPrefixes.declare(colon === -1 ? '' : local, xml.slice(i + 1, close));
        (scope ??= new Map()).set(colon === -1 ? '' : local, uri);
        prefixes.declare(colon === -1 ? '' : local, uri);
      } else if (colon !== -1 && (local === 'nil' || local === 'type')) {
        (xsiAttributes ??= []).push([attribute.slice(0, colon), local, xml.slice(i + 1, close)]);
      }
      i = close + 1;
    }
    pos = i + 1;

    const colon = name.indexOf(':');
    const local = colon === -1 ? name : name.slice(colon + 1);
    // node-soap turns an element with text into that text, then fails on the element that
    // follows ("Cannot use 'in' operator"): mixed content is refused here, as not understood.
    if (stack.length > 0 && stack[stack.length - 1]!.text)
      throw notUnderstood(
        `Text before the element ${local.slice(0, 64)}: mixed content is not accepted`,
      );
    const parent = stack[stack.length - 1];
    if (parent) parent.children = true;
    stack.push({ name, scope, text: false, node: null });
    const depth = stack.length;
    if (depth > limits.maxDepth)
      throw notUnderstood(`Nesting deeper than ${limits.maxDepth} levels`);
    const uri = resolve(colon === -1 ? '' : name.slice(0, colon));
    if (uri === undefined) throw malformed(`Unbound namespace prefix: ${name.slice(0, 64)}`);
    if (attributes) checkAttributePrefixes(attributes, resolve);
    if (xsiAttributes)
      for (const [p, l, value] of xsiAttributes)
        if (prefixes.checkXsi(p, l, decodeAll(value), resolve)) stack[depth - 1]!.nil = true;
    if (parent?.nil) throw nilNotEmpty(parent.name);
    if (FORBIDDEN_NAMES.has(local)) throw notUnderstood(`Element name ${local} is not accepted`);

    if (depth > 3 && inBody && limits.membersInBodyNamespace)
      checkMemberNamespace(uri, local, body);
    if (depth === 1) {
      if (seenRoot) throw notUnderstood('More than one root element');
      seenRoot = true;
      if (local !== 'Envelope') throw notUnderstood('The root element is not a SOAP Envelope');
      if (uri === SOAP12_NS) throw new VersionMismatch();
      if (uri !== SOAP11_NS) throw notUnderstood('The Envelope is not in the SOAP 1.1 namespace');
    } else if (depth === 2) {
      if (uri !== SOAP11_NS) throw notUnderstood(`Unexpected element ${local} in the Envelope`);
      if (local === 'Header') {
        if (++headerCount > 1 || bodyCount > 0)
          throw notUnderstood('Misplaced or repeated SOAP Header');
        inHeader = true;
      } else if (local === 'Body') {
        if (++bodyCount > 1) throw notUnderstood('More than one SOAP Body');
        inBody = true;
        if (untilBody) return { credentials: credentials.credentials };
      } else {
        throw notUnderstood(`Unexpected element ${local} in the Envelope`);
      }
    } else if (depth === 3 && inHeader) {
      if (headerAttributes && limits.understoodHeaders && !limits.understoodHeaders.has(local))
        headerNotUnderstood ??= mustUnderstandEntry(local, uri, headerAttributes, resolve);
      credentials.entry(local, selfClosing);
    } else if (depth === 4 && credentials.open) {
      credentials.member(local, selfClosing, pos);
    } else if (depth === 3 && inBody) {
      if (++bodyChildren > 1) throw notUnderstood('The SOAP Body holds more than one element');
      bodyElement = { ns: uri, local };
      body = bodyElement;
      stack[depth - 1]!.node = limits.elementTree?.body(local) ?? null;
    } else if (
      depth > 3 &&
      inBody &&
      !(limits.skipEmptyUnknown && (selfClosing || endTagAt(xml, pos, name)))
    ) {
      if (limits.knownElements && !limits.knownElements.has(local)) {
        unknownElement ??= local.slice(0, 64);
      } else if (parent!.node) {
        const node = parent!.node.child(local);
        if (node) stack[depth - 1]!.node = node;
        else if (unknownElement === undefined) {
          unknownElement = local.slice(0, 64);
          const p = parent!.name;
          unknownElementParent = p.slice(p.indexOf(':') + 1, p.indexOf(':') + 65);
        }
      }
    }

    if (selfClosing) {
      stack.pop();
      if (depth === 2) inBody = inHeader = false;
      if (depth === 1) rootClosed = true;
    }
  }

  if (untilBody) return null;
  if (stack.length > 0) throw malformed('Unclosed root tag');
  if (!seenRoot || !rootClosed) throw notUnderstood('Empty or truncated SOAP envelope');
  if (bodyCount === 0) throw notUnderstood('The SOAP Envelope has no Body');
  if (!bodyElement) throw notUnderstood('The SOAP Body is empty');
  const summary: EnvelopeSummary = { bodyElement, credentials: credentials.credentials };
  if (unknownElement !== undefined) summary.unknownElement = unknownElement;
  if (unknownElementParent !== undefined) summary.unknownElementParent = unknownElementParent;
  if (headerNotUnderstood !== undefined) summary.headerNotUnderstood = headerNotUnderstood;
  return summary;
}
