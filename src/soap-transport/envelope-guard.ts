import { SOAP12_NS, VersionMismatch } from './envelope-faults.js';
import { SOAP11_NS } from './fault-envelope.js';
import {
  NAME,
  NOT_XML_CHAR,
  notUnderstood,
  malformed,
  isSpace,
  onlySpace,
  endTagAt,
  hex4,
  checkCharData,
  decodeAll,
} from './xml-lexis.js';
import type { ElementNode } from './schema-elements.js';
import {
  checkAttributePrefixes,
  checkMemberNamespace,
  checkPiece,
  NIL,
  nilNotEmpty,
  type OpenContent,
} from './standard-reading.js';
import { CredentialsReader, mustUnderstandEntry } from './header-entries.js';
import {
  DEFAULT_MAX_ATTRIBUTES,
  type EnvelopeHead,
  type EnvelopeSummary,
  type GuardLimits,
} from './guard-options.js';
import type { ResolvedQName } from './qualified-names.js';
import { FORBIDDEN_NAMES, readName, StartTag } from './start-tag.js';
import { cdataEnd, commentEnd, declarationEnd } from './xml-markup.js';

export type { HeaderCredentials } from './header-entries.js';
export {
  DEFAULT_MAX_ATTRIBUTES,
  type ElementSeen,
  type EnvelopeHead,
  type EnvelopeSummary,
  type GuardLimits,
} from './guard-options.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

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
  const tag = new StartTag(xml, limits.maxNameLength, maxAttributes, limits.multiRef ?? true);
  const prefixes = tag.prefixes;
  const elementSeen = limits.elementSeen;

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

  let pos = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  // The XML declaration may stand only here, before anything else (see declarationEnd).
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
      if (xml.startsWith('<!--', lt)) pos = commentEnd(xml, lt);
      else {
        const close = cdataEnd(xml, lt, stack.length > 0);
        addPiece(stack[stack.length - 1]!, xml.slice(lt + 9, close).trim() !== '');
        pos = close + 3;
      }
      continue;
    }

    if (next === 0x3f /* ? */) {
      pos = declarationEnd(xml, lt, declarationAt);
      continue;
    }

    if (next === 0x2f /* / */) {
      const name = readName(xml, lt + 2, limits.maxNameLength);
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
    const name = readName(xml, lt + 1, limits.maxNameLength);
    pos = tag.read(NAME.lastIndex, inHeader && stack.length === 2) + 1;
    const { scope, attributes, xsiAttributes, selfClosing } = tag;

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
    let type: ResolvedQName | null = null;
    if (xsiAttributes)
      for (const [p, l, raw] of xsiAttributes) {
        const meaning = prefixes.checkXsi(p, l, decodeAll(raw), resolve, elementSeen !== undefined);
        if (meaning === NIL) stack[depth - 1]!.nil = true;
        else if (meaning !== null) type = meaning;
      }
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
      const headerAttributes = tag.headerAttributes;
      if (
        headerAttributes &&
        limits.understoodHeaders &&
        !limits.understoodHeaders.has(local) &&
        !limits.understoodHeaders.has(local.toLowerCase())
      )
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

    if (elementSeen) elementSeen(uri, local, type, depth);
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
