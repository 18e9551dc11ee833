import { decodeAll, notUnderstood } from './xml-lexis.js';

/**
 * What node-soap's reading of a request (xmlToObject) does with input beyond the element
 * names the envelope guard checks, and the guard's bounds on it:
 *
 * - `id` and `href` attributes (SOAP encoding's multiRef) are filed in a plain object keyed by
 *   their value: an id of `__proto__` set a property of every object in the process (the next
 *   call that counted a metric threw outside any handler, and the process ended), and each
 *   href copies its target's members once more (a message of hrefs to one large element cost
 *   the product of the two counts).
 * - A CDATA section holding `<?xml` is tested with a backtracking regular expression (time
 *   the square of the section's length when no `?>` follows) and, when one follows, parsed as
 *   a document of its own, past every check the guard makes.
 * - Every prefix ever bound to the XML Schema instance namespace is tried on every element
 *   that follows (time the product of the two counts).
 * - An `xsi:type` is looked up in plain objects of the parsed WSDL, by the namespace its prefix
 *   is bound to and then by its name: a name or namespace of a prototype's property
 *   (`ns1:constructor`, a prefix bound to `__proto__`) found an inherited function or
 *   Object.prototype, which node-soap then called as a type, and threw (fault 10001).
 */

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Distinct prefixes one document may bind to XSI_NS (toolkits bind one, at most two). */
export const MAX_XSI_PREFIXES = 16;

// Names that would reach object prototypes when used as keys of a plain object.
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).concat(['prototype']));

/**
 * Refuses an `id` or `href` attribute node-soap would file under a prototype's name, or any
 * when `multiRef` is false (a sender that never writes them). `raw` is the value as written.
 */
export function checkMultiRef(attribute: string, raw: string, multiRef: boolean): void {
  if (attribute !== 'id' && attribute !== 'href') return;
  if (!multiRef) throw notUnderstood(`Attribute ${attribute} (multiRef) is not accepted here`);
  const value = decodeAll(raw);
  // node-soap drops an href's first character (the '#') whatever it is.
  if (PROTOTYPE_NAMES.has(attribute === 'href' ? value.slice(1) : value))
    throw notUnderstood(`Attribute ${attribute}="${value.slice(0, 64)}" is not accepted`);
}

/** Refuses a namespace name (decoded) node-soap would look a schema up by in a plain object. */
export function checkNamespaceName(uri: string): void {
  if (PROTOTYPE_NAMES.has(uri)) throw notUnderstood(`Namespace name ${uri} is not accepted`);
}

/**
 * Refuses an xsi:type (decoded) whose name, as node-soap reads it (the part before any `|`,
 * after its prefix), is a prototype's property.
 */
export function checkTypeName(value: string): void {
  const qname = value.split('|', 1)[0]!;
  if (PROTOTYPE_NAMES.has(qname.slice(qname.indexOf(':') + 1)))
    throw notUnderstood(`xsi:type="${value.slice(0, 64)}" is not accepted`);
}

/** Refuses a CDATA section (its content is xml[from, to)) that holds an XML declaration. */
export function checkCdata(xml: string, from: number, to: number): void {
  // Searched within the section only: a search on from it would cross every later section.
  if (xml.slice(from, to).includes('<?xml'))
    throw notUnderstood('A CDATA section holding an XML declaration (<?xml) is not accepted');
}

/** Counts the prefixes bound to XSI_NS in one document, refusing more than MAX_XSI_PREFIXES. */
export class XsiPrefixes {
  private readonly seen = new Set<string>();

  /** `prefix`: the declared prefix ('' for a default namespace); `raw`: the URI as written. */
  declare(prefix: string, raw: string): void {
    if (this.seen.has(prefix) || decodeAll(raw) !== XSI_NS) return;
    this.seen.add(prefix);
    if (this.seen.size > MAX_XSI_PREFIXES)
      throw notUnderstood(
        `More than ${MAX_XSI_PREFIXES} prefixes bound to the XML Schema instance namespace`,
      );
  }
}
