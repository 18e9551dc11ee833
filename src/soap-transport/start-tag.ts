import { checkMultiRef, XsiPrefixes } from './node-soap-inputs.js';
import { DocumentPrefixes } from './standard-reading.js';
import {
  NAME,
  notUnderstood,
  malformed,
  nameTooLong,
  isSpace,
  indexIn,
  checkReferences,
  decode,
} from './xml-lexis.js';

// Names that would reach object prototypes in node-soap's parsed arguments.
export const FORBIDDEN_NAMES = new Set(
  Object.getOwnPropertyNames(Object.prototype).concat(['prototype']),
);

/**
 * Reads an XML name at `at` in `xml`, at most `max` characters long, and returns it; NAME's
 * lastIndex is left just after it. `what` names the kind of name in the refusal.
 */
export function readName(xml: string, at: number, max: number, what = 'Element'): string {
  NAME.lastIndex = at;
  if (!NAME.test(xml)) throw malformed('Invalid name');
  if (NAME.lastIndex - at > max) throw nameTooLong(what, max);
  return xml.slice(at, NAME.lastIndex);
}

/**
 * The attributes of one start tag at a time, for the envelope guard: each well-formed, none
 * repeated, within the bounds, namespace declarations noted. One reader serves a whole
 * document, its fields rewritten by each read (no object per element).
 */
export class StartTag {
  /** Prefix → namespace declared on this element, when it declares any. */
  scope: Map<string, string> | null = null;
  /** Its attributes' names as written, when it has any. */
  attributes: Set<string> | null = null;
  /** A header entry's SOAP attributes: mustUnderstand and actor, by their names as written. */
  headerAttributes: Map<string, string> | null = null;
  /** Its prefixed nil and type attributes: prefix, local name, value as written. */
  xsiAttributes: Array<[string, string, string]> | null = null;
  /** Written `/>`. */
  selfClosing = false;
  /** node-soap's one prefix map of the document, every declaration read added to it. */
  readonly prefixes = new DocumentPrefixes();
  private readonly xsiPrefixes = new XsiPrefixes();

  constructor(
    private readonly xml: string,
    private readonly maxNameLength: number,
    private readonly maxAttributes: number,
    private readonly multiRef: boolean,
  ) {}

  /**
   * Reads the attributes from `at` (just after the element's name) to `>` or `/>`, and returns
   * the position of that `>`. `headerEntry`: the element is a SOAP header entry, whose
   * mustUnderstand and actor are kept.
   */
  read(at: number, headerEntry: boolean): number {
    const xml = this.xml;
    let i = at;
    this.scope = null;
    this.attributes = null;
    this.headerAttributes = null;
    this.xsiAttributes = null;
    this.selfClosing = false;
    for (;;) {
      const before = i;
      while (isSpace(xml.charCodeAt(i))) i++;
      const c = xml.charCodeAt(i);
      if (c === 0x3e) return i;
      if (c === 0x2f && xml.charCodeAt(i + 1) === 0x3e) {
        this.selfClosing = true;
        return i + 1;
      }
      if (Number.isNaN(c)) throw malformed('Unterminated start tag');
      if (i === before) throw malformed('No whitespace between attributes');
      const attribute = readName(xml, i, this.maxNameLength, 'Attribute');
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
      checkMultiRef(attribute, xml.slice(i + 1, close), this.multiRef);
      this.attribute(attribute, i + 1, close, headerEntry);
      i = close + 1;
    }
  }

  /** One attribute, its value xml[from, to) as written: noted where it says something. */
  private attribute(attribute: string, from: number, to: number, headerEntry: boolean): void {
    const attributes = (this.attributes ??= new Set());
    if (attributes.has(attribute)) throw malformed(`Repeated attribute ${attribute}`);
    attributes.add(attribute);
    if (attributes.size > this.maxAttributes)
      throw notUnderstood(`More than ${this.maxAttributes} attributes on one element`);
    const colon = attribute.indexOf(':');
    const local = colon === -1 ? attribute : attribute.slice(colon + 1);
    if (FORBIDDEN_NAMES.has(local)) throw notUnderstood(`Attribute name ${local} is not accepted`);
    const xml = this.xml;
    if (headerEntry && (local === 'mustUnderstand' || local === 'actor'))
      (this.headerAttributes ??= new Map()).set(attribute, decode(xml.slice(from, to)).trim());
    if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
      const uri = decode(xml.slice(from, to));
      if (colon !== -1 && uri === '') throw malformed(`Empty namespace for ${attribute}`);
      const prefix = colon === -1 ? '' : local;
      this.xsiPrefixes.declare(prefix, xml.slice(from, to));
      (this.scope ??= new Map()).set(prefix, uri);
      this.prefixes.declare(prefix, uri);
    } else if (colon !== -1 && (local === 'nil' || local === 'type')) {
      (this.xsiAttributes ??= []).push([attribute.slice(0, colon), local, xml.slice(from, to)]);
    }
  }
}
