/**
 * A faster writer for the answers of the busiest operations, byte for byte what node-soap writes.
 *
 * node-soap's server calls `wsdl.objectToDocumentXML(outputName, result, prefix, namespace)`
 * with no type, so its generic `objectToXML` never finds a schema object below the top: the
 * text is a function of the result object alone (key order, null → xsi:nil, arrays as repeated
 * elements, its xmlEscape), with a schema lookup, a QName split and a namespace-context push
 * per key on the way. This writer produces the same text for the shapes our handlers build —
 * plain objects, arrays of them, strings, finite numbers, booleans, null — in one pass, and
 * declines (hands the call back to node-soap) on anything else: a key node-soap reads as
 * special or prefixed, a Date, a class instance, a function, undefined in a list, a list in a
 * list, a nesting deeper than any answer of ours. Declining is always correct; differing never
 * is (test/soap/answer-writer.test.ts compares both on a corpus of real answers) — with one
 * deliberate exception: node-soap writes a string that starts with `<![CDATA[` and ends with
 * `]]>` as it is, unescaped, so a stored value such as `<![CDATA[x]]><Id>9</Id><![CDATA[y]]>`
 * would put elements of its writer's choosing into other clients' answers. Here it is text
 * like any other, escaped.
 */

/**
 * The answers the writer takes: the busiest operations' and the long lists (lead records,
 * activity pages), the ones the differential test covers. Every other answer is node-soap's.
 */
export const FAST_ANSWER_ELEMENTS = [
  'successGetLead',
  'successSyncLead',
  'successSyncMultipleLeads',
  'successGetMultipleLeads',
  'successGetLeadActivity',
  'successGetLeadChanges',
] as const;

/** The part of node-soap's parsed WSDL the writer reads and wraps. */
export interface DocumentWriterWsdl {
  objectToDocumentXML: (...args: unknown[]) => unknown;
  options: Record<string, unknown>;
  definitions: { schemas?: Record<string, { $elementFormDefault?: string } | undefined> };
}

/** node-soap's own prefix for "the target namespace" (utils.TNS_PREFIX). */
const NODE_SOAP_TNS_PREFIX = '__tns__';
// Deeper than any answer of ours (LeadRecord is five levels); node-soap recurses without limit.
const MAX_DEPTH = 32;
// An element name node-soap writes as given: no prefix (`a:b`, `:b`), no `$value`/`$xml`.
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NEEDS_ESCAPE = /[&<>"'\t\r\n]/;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#x9;',
  '\r': '&#xD;',
  '\n': '&#xA;',
};
const ESCAPED = /[&<>"'\t\r\n]/g;
const escapeOne = (c: string) => ESCAPES[c]!;

interface Tags {
  open: string;
  close: string;
  nil: string;
}

/** Thrown inside the writer only, to give the call back to node-soap. */
class Decline {}
const DECLINE = new Decline();

/** The settings under which node-soap's output is the object-driven text reproduced here. */
function supportedOptions(options: Record<string, unknown>): string[] | null {
  const ignored = options.ignoredNamespaces;
  const plain =
    options.attributesKey === 'attributes' &&
    options.valueKey === '$value' &&
    options.xmlKey === '$xml' &&
    options.escapeXML === true &&
    options.namespaceArrayElements === true &&
    !options.useEmptyTag &&
    !options.ignoreBaseNameSpaces &&
    options.overrideRootElement === undefined &&
    options.arrayWithChoiceTag === undefined &&
    (options.overrideElementKey === undefined ||
      Object.keys(options.overrideElementKey as object).length === 0) &&
    Array.isArray(ignored) &&
    ignored.every((n) => typeof n === 'string');
  return plain ? (ignored as string[]) : null;
}

export interface AnswerWriter {
  /** The element's XML exactly as node-soap would write it, or undefined to let node-soap write it. */
  write(name: string, params: unknown, nsPrefix: unknown, nsURI: unknown): string | undefined;
}

/**
 * A writer for the named top-level answer elements under the given node-soap options, or null
 * when those options make node-soap write differently from what this writer knows.
 */
export function createAnswerWriter(
  wsdl: Pick<DocumentWriterWsdl, 'options' | 'definitions'>,
  elements: readonly string[],
): AnswerWriter | null {
  const ignoredNamespaces = supportedOptions(wsdl.options);
  if (!ignoredNamespaces) return null;
  const enabled = new Set(elements.filter((e) => PLAIN_NAME.test(e)));
  // Tags of the names seen before (null: a name node-soap reads otherwise): the same few dozen
  // keys come back in every answer.
  const tagCache = new Map<string, Tags | null>();
  const tagsOf = (k: string): Tags => {
    let tags = tagCache.get(k);
    if (tags === undefined) {
      tags =
        PLAIN_NAME.test(k) && k !== 'attributes' && k !== '__proto__'
          ? { open: `<${k}>`, close: `</${k}>`, nil: `<${k} xsi:nil="true"></${k}>` }
          : null;
      if (tagCache.size < 10_000) tagCache.set(k, tags);
    }
    if (tags === null) throw DECLINE;
    return tags;
  };

  const scalar = (v: unknown): string => {
    switch (typeof v) {
      case 'string':
        // Escaped even when CDATA-wrapped, which node-soap would write as markup (above).
        return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, escapeOne) : v;
      case 'number':
        if (!Number.isFinite(v)) throw DECLINE;
        return String(v);
      case 'boolean':
        return v ? 'true' : 'false';
      default:
        throw DECLINE;
    }
  };

  const isPlainObject = (v: object): boolean => {
    const proto = Object.getPrototypeOf(v) as unknown;
    return proto === Object.prototype || proto === null;
  };

  /** The content of an element holding `v` (node-soap's objectToXML below the top). */
  const content = (v: unknown, depth: number): string => {
    if (v === null) return '';
    if (typeof v !== 'object') return scalar(v);
    if (depth > MAX_DEPTH || Array.isArray(v) || !isPlainObject(v)) throw DECLINE;
    const o = v as Record<string, unknown>;
    let out = '';
    for (const k of Object.keys(o)) {
      const tags = tagsOf(k);
      const child = o[k];
      if (child === undefined) continue;
      if (Array.isArray(child)) {
        for (let i = 0; i < child.length; i++) {
          const item: unknown = child[i];
          if (item === undefined || Array.isArray(item)) throw DECLINE;
          out += tags.open + content(item, depth + 1) + tags.close;
        }
      } else if (child === null) {
        out += tags.nil;
      } else {
        out += tags.open + content(child, depth + 1) + tags.close;
      }
    }
    return out;
  };

  return {
    write(name, params, nsPrefix, nsURI) {
      try {
        if (!enabled.has(name) || typeof nsPrefix !== 'string' || typeof nsURI !== 'string')
          return undefined;
        if (!PLAIN_NAME.test(nsPrefix) || nsPrefix === NODE_SOAP_TNS_PREFIX || nsURI === '')
          return undefined;
        const schema = wsdl.definitions.schemas?.[nsURI];
        // No schema: node-soap writes a SOAP header's namespaces; qualified: every child prefixed.
        if (!schema || schema.$elementFormDefault === 'qualified') return undefined;
        if (typeof params !== 'object' || params === null || Array.isArray(params))
          return undefined;
        if (!isPlainObject(params) || Object.prototype.hasOwnProperty.call(params, '_xml'))
          return undefined;
        const declare = ignoredNamespaces.includes(nsPrefix) ? '' : ` xmlns:${nsPrefix}="${nsURI}"`;
        return `<${nsPrefix}:${name}${declare}>${content(params, 1)}</${nsPrefix}:${name}>`;
      } catch {
        // A shape the writer does not know, or a fault of its own: node-soap writes it.
        return undefined;
      }
    },
  };
}

/**
 * Puts the writer in front of node-soap's objectToDocumentXML for the named answer elements.
 * Returns whether it was installed (not when node-soap's options change what it writes).
 */
export function installAnswerWriter(
  wsdl: DocumentWriterWsdl,
  elements: readonly string[],
): boolean {
  const writer = createAnswerWriter(wsdl, elements);
  if (!writer) return false;
  const original = wsdl.objectToDocumentXML;
  wsdl.objectToDocumentXML = function (this: unknown, ...args: unknown[]) {
    // node-soap's server passes (name, params, prefix, namespace); a type or options changes
    // what it writes.
    if (args.length <= 4 || (args[4] === undefined && args[5] === undefined)) {
      const xml = writer.write(args[0] as string, args[1], args[2], args[3]);
      if (xml !== undefined) return xml;
    }
    return original.apply(this, args);
  };
  return true;
}
