import { NOT_XML_CHAR, REFERENCE, decodeAll, isSpace, isXmlChar } from './xml-lexis.js';
import { TextKind, type Shape } from './request-shapes.js';

/**
 * The fast request reader's element stack and the steps of node-soap's sax handlers it
 * reproduces (text, close), with the way it declines.
 */

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Thrown inside the reader to decline; never leaves it. */
class Decline {}
export const DECLINE = new Decline();
export const decline = (): never => {
  throw DECLINE;
};

export interface Frame {
  qname: string;
  local: string;
  shape: Shape;
  /** Prefix → namespace declared on this element. */
  scope: Map<string, string> | null;
  /**
   * The namespace of an unprefixed name here (resolve(stack, '') with this frame on top):
   * kept per frame, so that an element's is its parent's unless it declares one.
   */
  defaultNs: string;
  /** What node-soap's stack entry holds: an object, a string once text came, or nothing yet. */
  value: Record<string, unknown> | string | undefined;
  hasAttributes: boolean;
  hasChildren: boolean;
  hasText: boolean;
  nil: boolean;
  /** Elements seen directly inside (for the envelope's structure). */
  count: number;
}

export const ROOT_SHAPE: Shape = {
  text: TextKind.None,
  emptyIsString: false,
  child: () => undefined,
  isArray: () => false,
  names: undefined,
};

/**
 * The frame of a new element `depth` deep, fresh in its fields: the one `pool` holds for that
 * depth (an element's frame is let go when it closes, and a request has thousands of elements
 * at a few depths), or a new one kept there.
 */
export function frameAt(
  pool: Frame[],
  depth: number,
  qname: string,
  local: string,
  scope: Map<string, string> | null,
  defaultNs: string,
): Frame {
  let frame = pool[depth];
  if (frame === undefined) {
    frame = {
      qname,
      local,
      shape: ROOT_SHAPE,
      scope,
      defaultNs,
      value: undefined,
      hasAttributes: false,
      hasChildren: false,
      hasText: false,
      nil: false,
      count: 0,
    };
    pool[depth] = frame;
    return frame;
  }
  frame.qname = qname;
  frame.local = local;
  frame.shape = ROOT_SHAPE;
  frame.scope = scope;
  frame.defaultNs = defaultNs;
  frame.value = undefined;
  frame.hasAttributes = false;
  frame.hasChildren = false;
  frame.hasText = false;
  frame.nil = false;
  frame.count = 0;
  return frame;
}

/**
 * The name of the start tag whose name begins at `at` when it is one of `names` without a
 * prefix, as the name pattern would read it (what follows ends a name): that very string, so
 * that no copy is made and the lookups by it find it hashed. Undefined: the caller reads it.
 */
export function knownNameAt(
  xml: string,
  at: number,
  names: readonly string[] | undefined,
): string | undefined {
  if (names === undefined) return undefined;
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    if (!xml.startsWith(name, at)) continue;
    const c = xml.charCodeAt(at + name.length);
    if (c === 0x3e /* > */ || c === 0x2f /* / */ || isSpace(c)) return name;
  }
  return undefined;
}

export function resolve(stack: Frame[], prefix: string): string | undefined {
  if (prefix === 'xml') return XML_NS;
  for (let i = stack.length - 1; i > 0; i--) {
    const uri = stack[i]!.scope?.get(prefix);
    if (uri !== undefined) return uri;
  }
  return prefix === '' ? '' : undefined;
}

/**
 * Whether xml[from..to) is printable ASCII, tabs and line ends only, with no `&` and no `]`:
 * text no check below can refuse and no reference changes (nearly every value of a request).
 * One pass over the characters, where the checks below are three calls and a regular
 * expression for each text of a request (thousands in a batch).
 */
function plainText(xml: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = xml.charCodeAt(i);
    if (c >= 0x20 ? c > 0x7e || c === 0x26 /* & */ || c === 0x5d /* ] */ : !isSpace(c))
      return false;
  }
  return true;
}

/** Text of a stretch between markup: references checked and replaced. */
export function textOf(xml: string, from: number, to: number): string {
  if (plainText(xml, from, to)) return xml.slice(from, to);
  let raw = xml.slice(from, to);
  // Characters XML 1.0 does not allow, even where trimming would drop them.
  if (raw.includes(']]>') || NOT_XML_CHAR.test(raw)) decline();
  if (raw.includes('&')) {
    let amp = raw.indexOf('&');
    while (amp !== -1) {
      REFERENCE.lastIndex = amp;
      const m = REFERENCE.exec(raw);
      if (!m) decline();
      if (m![1] !== undefined || m![2] !== undefined) {
        const cp = m![1] !== undefined ? Number(m![1]) : parseInt(m![2]!, 16);
        if (!isXmlChar(cp)) decline();
      }
      amp = raw.indexOf('&', REFERENCE.lastIndex);
    }
    raw = decodeAll(raw);
  }
  return raw;
}

/** node-soap's ontext for one segment of text (already trimmed, not empty). */
export function addText(top: Frame, text: string): void {
  // A second piece (after a CDATA section or a comment) is the envelope guard's to refuse.
  if (top.hasChildren || top.hasText || top.nil || top.shape.text === TextKind.None) decline();
  top.hasText = true;
  if (top.hasAttributes) (top.value as Record<string, unknown>).$value = text;
  else top.value = text;
}

export function close(stack: Frame[], cur: Frame): void {
  stack.pop();
  const top = stack[stack.length - 1]!;
  let obj: unknown = cur.value;
  if (obj === undefined) obj = cur.shape.emptyIsString ? '' : null;
  if (cur.nil) obj = null;
  if (top.value === undefined) top.value = {};
  if (typeof top.value !== 'object') decline();
  const parent = top.value as Record<string, unknown>;
  const name = cur.local;
  if (top.shape.isArray(name)) {
    if (!parent[name]) parent[name] = [];
    (parent[name] as unknown[]).push(obj);
  } else if (Object.hasOwn(parent, name)) {
    if (!Array.isArray(parent[name])) parent[name] = [parent[name]];
    (parent[name] as unknown[]).push(obj);
  } else {
    parent[name] = obj;
  }
  top.hasChildren = true;
}
