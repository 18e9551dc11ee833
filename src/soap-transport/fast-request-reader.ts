import { SOAP11_NS } from './fault-envelope.js';
import { NAME, NOT_XML_CHAR, XML_DECLARATION, isSpace } from './xml-lexis.js';
import type { GuardLimits } from './envelope-guard.js';
import type { FastReadOptions, RequestReader, RequestReaderStats } from './request-reader.js';
import type { ElementNode } from './schema-elements.js';
import { ShapeBook, localOf, type Shape, type WsdlInternals } from './request-shapes.js';
import {
  DECLINE,
  ROOT_SHAPE,
  addText,
  close,
  decline,
  frameAt,
  knownNameAt,
  resolve,
  textOf,
  type Frame,
} from './request-frames.js';

/**
 * A reader for the few request shapes that carry most calls, in front of node-soap's
 * xmlToObject (sax plus a schema lookup per element). For those it returns exactly the object
 * node-soap returns for the same XML — same keys in the same order, arrays, nulls, attributes
 * objects, raw text — and for anything else it is not sure of it declines (undefined), so that
 * node-soap's own reading runs. One pass over the text, no recursion, never throws.
 */

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
/** node-soap's prefix for a name without one (utils.TNS_PREFIX). */
const NO_PREFIX = '__tns__';
const BOOLEANS = new Set(['true', 'false', '1', '0']);
const MAX_DEPTH = 64;
const MAX_ATTRIBUTES = 16;
const MAX_XSI_PREFIXES = 4;
const FORBIDDEN = new Set(
  Object.getOwnPropertyNames(Object.prototype).concat(['prototype', 'attributes', '$value']),
);

/**
 * A reader for node-soap's parsed WSDL, or null when the WSDL or its options are not what the
 * reader reproduces (then nothing is installed).
 */
export function createRequestReader(
  wsdl: WsdlInternals,
  rawTextTypes: readonly string[],
  options: FastReadOptions,
): RequestReader | null {
  const o = wsdl.options;
  if (
    o.handleNilAsNull !== true ||
    o.preserveWhitespace ||
    (o.attributesKey ?? 'attributes') !== 'attributes' ||
    (o.valueKey ?? '$value') !== '$value'
  )
    return null;
  const book = new ShapeBook(wsdl, rawTextTypes);
  const bodies = new Map<string, Shape>();
  for (const name of options.bodyElements) {
    const shape = book.body(name);
    if (shape) bodies.set(name, shape);
  }
  const headers = new Map<string, Shape>();
  for (const [name, fields] of Object.entries(options.headerElements)) {
    const shape = book.header(name, fields);
    if (shape) headers.set(name, shape);
  }
  if (bodies.size === 0) return null;
  const ns = options.namespace;

  const stats: RequestReaderStats = { read: 0, declined: 0, failed: 0 };

  const envelopeShape: Shape = { ...ROOT_SHAPE };
  const headerShape: Shape = { ...ROOT_SHAPE, child: (l) => headers.get(l) };
  const bodyShape: Shape = { ...ROOT_SHAPE, child: (l) => bodies.get(l) };
  const rootShape: Shape = {
    ...ROOT_SHAPE,
    child: (l) => (l === 'Envelope' ? envelopeShape : undefined),
  };
  envelopeShape.child = (l) =>
    l === 'Header' ? headerShape : l === 'Body' ? bodyShape : undefined;

  function read(xml: string, guard: GuardLimits | undefined): unknown {
    const maxNameLength = guard ? guard.maxNameLength : Infinity;
    const maxAttributes = Math.min(guard?.maxAttributes ?? MAX_ATTRIBUTES, MAX_ATTRIBUTES);
    const maxDepth = guard ? Math.min(guard.maxDepth, MAX_DEPTH) : MAX_DEPTH;
    const known = guard?.knownElements;
    const tree = guard?.elementTree;
    // The element tree's node of each open element of the Body, by depth (as the guard keeps it).
    const nodes: Array<ElementNode | null> = [];
    // node-soap's document-wide state: every namespace declaration seen so far (never
    // scoped) and the prefixes ever bound to XSI. (Whether it finds the envelope's prefix
    // declared decides whether it looks the Body's element up as a message or by its name:
    // the shapes book checked that both give the same schema.)
    const declared = new Map<string, string>();
    const xsiPrefixes: string[] = [];
    const root: Frame = {
      qname: '',
      local: '',
      shape: rootShape,
      scope: null,
      defaultNs: '',
      value: {},
      hasAttributes: false,
      hasChildren: false,
      hasText: false,
      nil: false,
      count: 0,
    };
    const stack: Frame[] = [root];
    const pool: Frame[] = [];
    let headerSeen = false;
    let bodySeen = false;

    let pos = 0;
    const end = xml.length;
    if (xml.startsWith('<?xml', 0)) {
      if (!isSpace(xml.charCodeAt(5))) decline();
      const pi = xml.indexOf('?>', 5);
      if (pi === -1 || xml.lastIndexOf('<', pi) !== 0) decline();
      if (!XML_DECLARATION.test(xml.slice(0, pi + 2))) decline();
      if (guard && NOT_XML_CHAR.test(xml.slice(0, pi))) decline();
      pos = pi + 2;
    }
    let rootDone = false;
    while (pos < end) {
      const lt = xml.indexOf('<', pos);
      const textEnd = lt === -1 ? end : lt;
      if (textEnd > pos) {
        let i = pos;
        while (i < textEnd && isSpace(xml.charCodeAt(i))) i++;
        // Spaces alone (between elements) trim to nothing, and hold no character to refuse.
        if (i < textEnd) {
          if (stack.length === 1) decline();
          const text = textOf(xml, pos, textEnd).trim();
          if (text.length > 0) addText(stack[stack.length - 1]!, text);
        }
      }
      if (lt === -1) break;
      if (rootDone) decline();
      const next = xml.charCodeAt(lt + 1);
      if (next === 0x21 /* ! */) {
        // CDATA only; comments, DOCTYPE and the rest go to node-soap.
        if (!xml.startsWith('<![CDATA[', lt) || stack.length === 1) decline();
        // The guard reads a header field's text whole, then trims; node-soap trims each part.
        if (guard && !bodySeen) decline();
        const cdataEnd = xml.indexOf(']]>', lt + 9);
        if (cdataEnd === -1) decline();
        const cdata = xml.slice(lt + 9, cdataEnd);
        if (NOT_XML_CHAR.test(cdata)) decline();
        const text = cdata.trim();
        if (text.length > 0) {
          // node-soap parses it again when a '?>' follows; the guard refuses any (a test for
          // the '?>' by regular expression cost the square of the text's length).
          if (text.includes('<?xml')) decline();
          addText(stack[stack.length - 1]!, text);
        }
        pos = cdataEnd + 3;
        continue;
      }
      if (next === 0x3f /* ? */) decline();
      if (next === 0x2f /* / */) {
        // The open element's name, then only spaces before '>' (no other name can match).
        const cur = stack[stack.length - 1]!;
        if (stack.length === 1 || !xml.startsWith(cur.qname, lt + 2)) decline();
        let i = lt + 2 + cur.qname.length;
        while (isSpace(xml.charCodeAt(i))) i++;
        if (xml.charCodeAt(i) !== 0x3e) decline();
        close(stack, cur);
        if (stack.length === 1) rootDone = true;
        pos = i + 1;
        continue;
      }

      // A start tag: a name its parent's shape knows as written, or read.
      const top = stack[stack.length - 1]!;
      let qname = knownNameAt(xml, lt + 1, top.shape.names);
      if (qname === undefined) {
        NAME.lastIndex = lt + 1;
        if (!NAME.test(xml)) decline();
        qname = xml.slice(lt + 1, NAME.lastIndex);
      }
      if (qname.length > maxNameLength) decline();
      let i = lt + 1 + qname.length;
      let scope: Map<string, string> | null = null;
      let attributes: Array<[string, string]> | null = null;
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
        if (i === before) decline();
        NAME.lastIndex = i;
        if (!NAME.test(xml)) decline();
        if (NAME.lastIndex - i > maxNameLength) decline();
        const attribute = xml.slice(i, NAME.lastIndex);
        i = NAME.lastIndex;
        while (isSpace(xml.charCodeAt(i))) i++;
        if (xml.charCodeAt(i) !== 0x3d) decline();
        i++;
        while (isSpace(xml.charCodeAt(i))) i++;
        const quote = xml.charCodeAt(i);
        if (quote !== 0x22 && quote !== 0x27) decline();
        const valueEnd = xml.indexOf(quote === 0x22 ? '"' : "'", i + 1);
        if (valueEnd === -1) decline();
        const raw = xml.slice(i + 1, valueEnd);
        if (raw.includes('<')) decline();
        const value = textOf(xml, i + 1, valueEnd);
        i = valueEnd + 1;
        attributes ??= [];
        if (attributes.length >= maxAttributes) decline();
        for (const [seen] of attributes) if (seen === attribute) decline();
        attributes.push([attribute, value]);
        if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
          if (attribute !== 'xmlns' && value === '') decline();
          // The guard refuses such a prefix or namespace, and decodes only the predefined
          // entities here.
          if (FORBIDDEN.has(attribute.slice(6)) || FORBIDDEN.has(value) || raw.includes('&'))
            decline();
          (scope ??= new Map()).set(attribute === 'xmlns' ? '' : attribute.slice(6), value);
        }
      }
      pos = i + 1;

      const colon = qname.indexOf(':');
      const local = colon === -1 ? qname : qname.slice(colon + 1);
      if (FORBIDDEN.has(local) || stack.length > maxDepth) decline();
      if (top.hasText) decline(); // text before an element: mixed content
      if (top.nil) decline(); // a nil element holding one: the envelope guard refuses it
      const defaultNs = scope?.get('') ?? top.defaultNs;
      const frame = frameAt(pool, stack.length, qname, local, scope, defaultNs);
      stack.push(frame);
      const uri = colon === -1 ? defaultNs : resolve(stack, qname.slice(0, colon));
      const depth = stack.length - 1;
      // Where the element stands: the envelope's own elements in SOAP 1.1's namespace, the
      // read ones in `ns`, theirs unqualified or in `ns`.
      if (depth <= 2) {
        if (uri !== SOAP11_NS) decline();
        if (depth === 1 && (rootDone || top.count > 0)) decline();
        if (local === 'Header' && (headerSeen || bodySeen)) decline();
        if (local === 'Body' && bodySeen) decline();
        if (local === 'Header') headerSeen = true;
        if (local === 'Body') bodySeen = true;
      } else if (depth === 3) {
        if (uri !== ns || (top.local === 'Body' && top.count > 0)) decline();
        if (tree && bodySeen) nodes[3] = tree.body(local) ?? null;
      } else if ((uri !== '' && uri !== ns) || (known && bodySeen && !known.has(local))) {
        decline();
      } else if (tree && bodySeen) {
        // What the guard would name unknown where it stands goes to the guard.
        const parentNode = nodes[depth - 1];
        const node = parentNode ? parentNode.child(local) : null;
        if (node === undefined) decline();
        nodes[depth] = node ?? null;
      }
      top.count++;
      const shape = top.shape.child(local);
      if (!shape) decline();
      frame.shape = shape!;

      // node-soap's onopentag, step by step: namespace declarations into its document-wide
      // map, the other attributes into an attributes object, xsi:nil, xsi:type.
      let elementAttributes: Record<string, string> | null = null;
      if (attributes) {
        for (const [name, value] of attributes) {
          if (name === 'href' || name === 'id') decline(); // multiref
          const c = name.indexOf(':');
          const prefix = c === -1 ? '' : name.slice(0, c);
          if (name === 'xmlns' || prefix === 'xmlns') {
            const key = name === 'xmlns' ? 'xmlns' : name.slice(6);
            if (key === NO_PREFIX) decline();
            declared.set(key, value);
            if (value === XSI_NS && !xsiPrefixes.includes(key)) {
              // node-soap tries each on every element: a few keep that bounded.
              if (xsiPrefixes.length >= MAX_XSI_PREFIXES) decline();
              xsiPrefixes.push(key);
            }
            continue;
          }
          // Attributes SOAP stacks write: xsi:nil, xsi:type, the envelope's encodingStyle.
          const attrUri = c === -1 ? undefined : resolve(stack, prefix);
          const attrLocal = name.slice(c + 1);
          const expected =
            (attrUri === XSI_NS && (attrLocal === 'nil' || attrLocal === 'type')) ||
            (attrUri === SOAP11_NS && attrLocal === 'encodingStyle');
          if (!expected) decline();
          (elementAttributes ??= {})[name] = value;
        }
      }
      // What the envelope guard refuses (its declarations all read first): a prefix node-soap's
      // one map binds otherwise than its scope does, a nil not of the schema's booleans, two
      // of one name under two prefixes.
      if (elementAttributes) {
        let xsiNames = '';
        for (const name in elementAttributes) {
          const c = name.indexOf(':');
          if (c === -1 || resolve(stack, name.slice(0, c)) !== XSI_NS) continue;
          if (declared.get(name.slice(0, c)) !== XSI_NS) decline();
          if (xsiNames.includes(` ${name.slice(c + 1)} `)) decline();
          xsiNames += ` ${name.slice(c + 1)} `;
          const value = elementAttributes[name]!;
          if (name.slice(c + 1) === 'nil' && !BOOLEANS.has(value)) decline();
          if (name.slice(c + 1) === 'type' && FORBIDDEN.has(String(localOf(value)))) decline();
          const t = name.slice(c + 1) === 'type' ? value.indexOf(':') : -1;
          if (t !== -1 && resolve(stack, value.slice(0, t)) !== declared.get(value.slice(0, t)))
            decline();
        }
      }
      if (elementAttributes) {
        for (const name in elementAttributes) {
          const c = name.indexOf(':');
          const prefix = c === -1 ? NO_PREFIX : name.slice(0, c);
          const value = elementAttributes[name]!;
          if (
            name.slice(c + 1) === 'nil' &&
            declared.get(prefix) === XSI_NS &&
            value &&
            (value.toLowerCase() === 'true' || value === '1')
          ) {
            frame.nil = true;
            break;
          }
        }
        frame.hasAttributes = true;
        frame.value = { attributes: elementAttributes };
      }
      if (elementAttributes) {
        let xsiType: string | undefined;
        for (const prefix of xsiPrefixes) {
          if (Object.hasOwn(elementAttributes, `${prefix}:type`)) {
            xsiType = elementAttributes[`${prefix}:type`];
            break;
          }
        }
        if (xsiType) {
          const qualified = xsiType.split('|', 1)[0]!;
          const typePrefix = qualified.substring(0, qualified.indexOf(':')) || NO_PREFIX;
          const typeUri =
            typePrefix === NO_PREFIX
              ? declared.get(NO_PREFIX) || declared.get('xmlns')
              : declared.get(typePrefix);
          // A type the WSDL defines would change the schema node-soap reads with.
          if (wsdl.findSchemaObject(typeUri, String(localOf(xsiType)))) decline();
        }
      }
      if (selfClosing) {
        close(stack, frame);
        if (stack.length === 1) rootDone = true;
      }
    }
    if (!rootDone || stack.length !== 1 || !bodySeen) decline();
    const envelope = (root.value as Record<string, unknown>).Envelope as Record<string, unknown>;
    const body = envelope?.Body as Record<string, unknown> | null | undefined;
    if (!body || typeof body !== 'object' || Object.keys(body).length !== 1) decline();
    return envelope;
  }

  const attempt = (xml: string, guard: GuardLimits | undefined): unknown => {
    try {
      const result = read(xml, guard);
      stats.read++;
      return result;
    } catch (error) {
      // A guarded decline is not counted: the request goes on to node-soap's read, which is.
      if (!guard) stats.declined++;
      if (error !== DECLINE) stats.failed++;
      return undefined;
    }
  };
  let handed: { xml: string; value: unknown } | null = null;
  return {
    stats,
    read: (xml) => {
      if (handed !== null && handed.xml === xml) {
        const { value } = handed;
        handed = null;
        return value;
      }
      return attempt(xml, undefined);
    },
    readGuarded: attempt,
    handOver(xml, value, run) {
      handed = { xml, value };
      try {
        return run();
      } finally {
        handed = null;
      }
    },
  };
}
