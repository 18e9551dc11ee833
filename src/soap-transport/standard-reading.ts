import { checkNamespaceName, checkTypeName } from './node-soap-inputs.js';
import { resolveQName, type ResolvedQName } from './qualified-names.js';
import { malformed, notUnderstood } from './xml-lexis.js';

/**
 * Where node-soap's reading of a request (xmlToObject) departs from what XML and its
 * namespaces say, the envelope guard refuses the request (20012) rather than let a value be read
 * otherwise than the client wrote it:
 *
 * - It trims each piece of an element's text (pieces split by CDATA sections and comments) and
 *   keeps only the last piece of a typed value (an int, a boolean, a date): `<Id>24<!---->6</Id>`
 *   was read as 6, `Ann <![CDATA[Lee]]>` as AnnLee.
 * - Text after an element's members replaces them (mixed content).
 * - An element marked xsi:nil is read as null whatever it holds.
 * - It keeps one prefix map for the whole document (the last declaration of each prefix, never
 *   scoped) and looks xsi:nil and xsi:type up in it: where a prefix is bound otherwise in
 *   scope, `o:nil="true"` made a value nil that is not, or the reverse.
 * - It matches members by local name alone: `<x:Email xmlns:x="urn:other">` was the Email.
 */

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
/** XML Schema's booleans as written; node-soap took TRUE for true and " true" for false. */
const BOOLEANS = new Set(['true', 'false', '1', '0']);

/** An xsi attribute that marks its element nil (checkXsi). */
export const NIL = true;

/** What an xsi attribute says of its element (checkXsi): nil, its type, or nothing to note. */
export type XsiMeaning = typeof NIL | ResolvedQName | null;

/** What the guard knows of an open element's content. */
export interface OpenContent {
  /** The element's name as written. */
  name: string;
  /** It holds text that is not blank. */
  text: boolean;
  /** Marked xsi:nil="true" (or "1"). */
  nil?: boolean;
  /** It holds an element. */
  children?: boolean;
}

export const nilNotEmpty = (name: string) =>
  notUnderstood(`${name.slice(0, 64)} is marked xsi:nil but is not empty`);

/**
 * A piece of text that is not blank, in `open`: refused after its members, in a nil element, or
 * after another piece where node-soap reads the text (`readByNodeSoap`); else noted.
 */
export function checkPiece(open: OpenContent, readByNodeSoap: boolean): void {
  if (open.nil) throw nilNotEmpty(open.name);
  if (open.children)
    throw notUnderstood(
      `Text after the elements of ${open.name.slice(0, 64)}: mixed content is not accepted`,
    );
  if (open.text && readByNodeSoap)
    throw notUnderstood(
      `The text of ${open.name.slice(0, 64)} is split by CDATA sections or comments: send it as one piece`,
    );
  open.text = true;
}

/**
 * Each prefixed attribute of an element (names as written): its prefix bound, and no two with
 * one namespace and local name (`a:nil` and `b:nil`, both prefixes bound to XSI: not
 * namespace-well-formed; node-soap took the first).
 */
export function checkAttributePrefixes(
  attributes: ReadonlySet<string>,
  resolve: (prefix: string) => string | undefined,
): void {
  let expanded: Set<string> | null = null;
  for (const attribute of attributes) {
    const c = attribute.indexOf(':');
    if (c === -1 || attribute.startsWith('xmlns:')) continue;
    const uri = resolve(attribute.slice(0, c));
    if (uri === undefined) throw malformed(`Unbound namespace prefix: ${attribute.slice(0, 64)}`);
    const name = `{${uri}}${attribute.slice(c + 1)}`;
    if ((expanded ??= new Set()).has(name))
      throw malformed(`Repeated attribute ${name.slice(0, 200)}`);
    expanded.add(name);
  }
}

/** Refuses a member of the Body's element in a namespace neither none nor the element's own. */
export function checkMemberNamespace(
  uri: string,
  local: string,
  body: { ns: string; local: string },
): void {
  if (uri !== '' && uri !== body.ns)
    throw notUnderstood(
      `Element ${local.slice(0, 64)} is in namespace ${uri.slice(0, 128)}: the members of ${body.local.slice(0, 64)} are in no namespace or in ${body.ns.slice(0, 128)}`,
    );
}

/** node-soap's one prefix map of the document, to compare each xsi attribute's scope with. */
export class DocumentPrefixes {
  private readonly last = new Map<string, string>();

  /** Refuses a namespace name node-soap would look a schema up by (checkNamespaceName). */
  declare(prefix: string, uri: string): void {
    checkNamespaceName(uri);
    this.last.set(prefix, uri);
  }

  /**
   * Checks a prefixed nil or type attribute (`value` decoded) of the element just opened, whose
   * declarations were all declared; `resolve` gives a prefix's namespace in scope. Returns NIL
   * when it marks the element nil; when it is an xsi:type and `typed` is asked, the type
   * resolved in scope (resolveQName's answer, each prefix looked up once for both); else null.
   */
  checkXsi(
    prefix: string,
    local: string,
    value: string,
    resolve: (prefix: string) => string | undefined,
    typed = false,
  ): XsiMeaning {
    const uri = resolve(prefix);
    const last = this.last.get(prefix);
    if (uri !== last && (uri === XSI_NS || last === XSI_NS))
      throw notUnderstood(
        `Prefix ${prefix.slice(0, 64)} of ${local} is bound to another namespace elsewhere in the envelope: declare each prefix once`,
      );
    if (uri !== XSI_NS) return null;
    if (local === 'nil') {
      if (!BOOLEANS.has(value))
        throw notUnderstood(`xsi:nil="${value.slice(0, 16)}" is not true, false, 1 or 0`);
      return value === 'true' || value === '1' ? NIL : null;
    }
    checkTypeName(value);
    const c = value.indexOf(':');
    const valueNs = c === -1 ? undefined : resolve(value.slice(0, c));
    if (c !== -1 && valueNs !== this.last.get(value.slice(0, c)))
      throw notUnderstood(
        `Prefix ${value.slice(0, Math.min(c, 64))} of xsi:type is bound to another namespace elsewhere in the envelope: declare each prefix once`,
      );
    if (!typed || local !== 'type') return null;
    // Whitespace around the value (rare) moves its prefix: resolved again, trimmed. Else the
    // value's prefix is the one just resolved.
    const written = value.trim();
    if (written.length !== value.length) return resolveQName(value, resolve);
    return { written, ns: c === -1 ? resolve('') : valueNs, local: value.slice(c + 1) };
  }
}
