import {
  ATTRIBUTE,
  attributeValue,
  bodyChildren,
  localName,
  tokenize,
  type Token,
} from './multi-refs.js';
import type { ElementNode, ElementTree } from './schema-elements.js';
import { notUnderstood } from './xml-lexis.js';

/**
 * SOAP encoding's arrays, as PHP's SoapClient without a WSDL (its default rpc/encoded mode)
 * writes a PHP list, and Axis 1 an array in rpc/encoded calls: the repeated element of the
 * schema (`attribute`, `leadRecord`, `stringItem`, `activityType`, `keyList`) written once,
 * typed `SOAP-ENC:Array`, its values as children (`item`):
 *
 *     <attribute SOAP-ENC:arrayType="SOAP-ENC:Struct[2]" xsi:type="SOAP-ENC:Array">
 *       <item xsi:type="SOAP-ENC:Struct"><attrName>FirstName</attrName>…</item><item>…</item>
 *     </attribute>
 *
 * A server reading values by their `xsi:type`, as PHP's SoapServer does with the mktows WSDL
 * (the vendor's answers bear its prefixes), reads the list; the envelope guard and the readers
 * take the schema's shape, so each such array is first written as the elements it stands for:
 * one `<attribute>` per item, with the item's attributes (and the array element's namespace
 * declarations) and content. Arrays within items are unwrapped too. An empty array (PHP's
 * `array()`, SOAP::Lite's `[]`: no item, its arrayType, if any, of length 0) whose name is a
 * list's member where it stands (by the schema in `elements`) is none of them: it is left out,
 * as an empty list is sent by a client with a WSDL. Named otherwise (a wrapper, or the one
 * leadRecord of a syncLead) it is left as it is, the empty element it stands for.
 *
 * Anything else is left as it is, for the guard to judge: an array with no item, or with
 * members named otherwise (a wrapper typed as an array, its members the schema's), text beside
 * the items, an array element with attributes besides its type, arrayType and namespaces
 * (xsi:nil, SOAP-ENC:offset: lost if it were written out), a sparse array's (items placed by
 * SOAP-ENC:position), an array in an envelope this scanner does not follow. The rewrite may not make the body larger than
 * `maxLength` or twice what was sent (20012).
 */
export function unwrapEncodedArrays(
  xml: string,
  maxLength: number,
  elements?: ElementTree,
): string {
  if (!mayHoldEncodedArrays(xml)) return xml;
  const tokens = tokenize(xml);
  if (!tokens) return xml;
  const body = bodyChildren(tokens);
  if (!body || body.children.length !== 1) return xml;
  const operation = body.children[0]!;
  if (tokens[operation]!.match === operation) return xml;

  const cap = Math.min(maxLength, xml.length * MAX_GROWTH);
  const out: string[] = [];
  let length = 0;
  let unwrapped = false;
  const emit = (s: string) => {
    length += s.length;
    if (length > cap)
      throw notUnderstood(`The SOAP-ENC arrays of the SOAP Body make it over ${cap} characters`);
    out.push(s);
  };

  /**
   * The content of the element at `open` (of the schema's `node`, null where unknown), its
   * arrays written as the elements they stand for.
   */
  const content = (open: number, depth: number, node: ElementNode | null): boolean => {
    // Arrays within items, each one frame of this recursion: deeper than the guard lets any
    // envelope be, the body is left for it to refuse (thousands overflowed the stack).
    if (depth > MAX_ARRAY_DEPTH) return false;
    const close = tokens[open]!.match;
    let at = tokens[open]!.end;
    // The schema's node of each element open around the token read, `node` outermost.
    const nodes: (ElementNode | null)[] = [node];
    for (let i = open + 1; i < close; i++) {
      const t = tokens[i]!;
      const parent = nodes[nodes.length - 1] ?? null;
      if (t.kind === 'close') nodes.pop();
      if (t.kind !== 'open') continue;
      const local = localName(t.name);
      // An element read on (not an array, or one left as sent): its node for what it holds.
      const readOn = () => {
        if (t.match !== i) nodes.push(parent?.child(local) ?? null);
      };
      if (!isEncodedArray(t)) {
        readOn();
        continue;
      }
      const items = childElements(tokens, i);
      if (!items.length && parent?.repeats(local) && isEmptyArray(xml, tokens, i)) {
        emit(xml.slice(at, t.start));
        unwrapped = true;
        i = t.match;
        at = tokens[i]!.end;
        continue;
      }
      // Members named as the schema's (Axis 1 types a wrapper such as leadRecordList so, its
      // leadRecord members in place): already the schema's shape. No mktows element is named
      // item, so only what would be refused is rewritten.
      // One that says more than its type (marked nil, partly sent with SOAP-ENC:offset...):
      // written out, that would be lost; as sent, the guard judges it. A sparse array's items
      // are placed by SOAP-ENC:position, not by their order: as sent.
      if (
        !items.length ||
        !items.every((item) => localName(tokens[item]!.name) === 'item') ||
        !onlyArrayMarks(t.attributes) ||
        items.some((item) => attributeValue(tokens[item]!.attributes, 'position') !== undefined)
      ) {
        readOn();
        continue;
      }
      if (!onlySpaceAround(xml, tokens, i, items)) return false;
      emit(xml.slice(at, t.start));
      const declarations = namespaceDeclarations(t.attributes);
      for (const item of items) {
        const own = tokens[item]!;
        const attributes = mergedAttributes(declarations, own.attributes);
        if (own.match === item) {
          emit(`<${t.name}${attributes}/>`);
          continue;
        }
        emit(`<${t.name}${attributes}>`);
        if (!content(item, depth + 1, parent?.child(local) ?? null)) return false;
        emit(`</${t.name}>`);
      }
      unwrapped = true;
      i = t.match;
      at = tokens[i]!.end;
    }
    emit(xml.slice(at, tokens[close]!.start));
    return true;
  };

  emit(xml.slice(0, tokens[operation]!.end));
  const operationNode = elements?.body(localName(tokens[operation]!.name)) ?? null;
  if (!content(operation, 0, operationNode)) return xml;
  if (!unwrapped) return xml;
  emit(xml.slice(tokens[tokens[operation]!.match]!.start));
  return out.join('');
}

/** Whether `xml` may hold such an array: one plain search tells nearly every body it holds none. */
export function mayHoldEncodedArrays(xml: string): boolean {
  return xml.includes(':Array') && ARRAY_TYPE.test(xml);
}

const MAX_GROWTH = 2;
/** The envelope guard's own nesting limit: no deeper body passes it. */
const MAX_ARRAY_DEPTH = 64;
const ARRAY_TYPE = /\s[^\s=]*:type\s*=\s*["'][^"':]*:Array["']/;

/**
 * An element typed as SOAP encoding's Array (its xsi:type, whatever the prefixes). A type
 * attribute in no namespace (no prefix) is no xsi:type, as mayHoldEncodedArrays reads it.
 */
function isEncodedArray(t: Token): boolean {
  for (const m of t.attributes.matchAll(ATTRIBUTE)) {
    const name = m[1]!;
    if (!name.includes(':') || name.startsWith('xmlns') || localName(name) !== 'type') continue;
    const type = m[3] ?? m[4]!;
    return type.includes(':') && localName(type) === 'Array';
  }
  return false;
}

/**
 * Whether the array at `open`, holding no element, is an empty list: nothing but white space
 * in it, no attribute but an array's, and an arrayType (if any) of length 0.
 */
function isEmptyArray(xml: string, tokens: Token[], open: number): boolean {
  const t = tokens[open]!;
  if (!onlyArrayMarks(t.attributes) || !onlySpaceAround(xml, tokens, open, [])) return false;
  const arrayType = attributeValue(t.attributes, 'arrayType');
  return arrayType === undefined || /\[\s*0\s*\]$/.test(arrayType.trim());
}

/**
 * The element children of the element at `open` (none when it is self-closing), each child's
 * content stepped over: arrays nested within one another would otherwise have every element
 * inside them walked once per array around it, the square of their number.
 */
function childElements(tokens: Token[], open: number): number[] {
  const t = tokens[open]!;
  const items: number[] = [];
  for (let i = open + 1; i < t.match; i++) {
    const c = tokens[i]!;
    if (c.kind !== 'open') continue;
    items.push(i);
    i = c.match;
  }
  return items;
}

/**
 * The attributes an array element may hold to be written out: its type and arrayType,
 * namespace declarations, and the encoding marks a multi-reference or a toolkit leaves
 * (encodingStyle, root). Any other would be dropped with the element.
 */
const ARRAY_MARKS = new Set(['type', 'arrayType', 'encodingStyle', 'root']);

function onlyArrayMarks(attributes: string): boolean {
  for (const m of attributes.matchAll(ATTRIBUTE)) {
    const name = m[1]!;
    if (name !== 'xmlns' && !name.startsWith('xmlns:') && !ARRAY_MARKS.has(localName(name)))
      return false;
  }
  return true;
}

/** Whether only white space stands between the array's items. */
function onlySpaceAround(xml: string, tokens: Token[], open: number, items: number[]): boolean {
  const t = tokens[open]!;
  if (t.match === open) return true;
  let at = t.end;
  for (const item of items) {
    if (xml.slice(at, tokens[item]!.start).trim() !== '') return false;
    at = tokens[tokens[item]!.match]!.end;
  }
  return xml.slice(at, tokens[t.match]!.start).trim() === '';
}

function namespaceDeclarations(attributes: string): [string, string][] {
  const declared: [string, string][] = [];
  for (const m of attributes.matchAll(ATTRIBUTE)) {
    const name = m[1]!;
    if (name === 'xmlns' || name.startsWith('xmlns:')) declared.push([name, m[0]]);
  }
  return declared;
}

/** The item's attributes, after the array element's declarations the item does not make itself. */
function mergedAttributes(declarations: [string, string][], own: string): string {
  const names = new Set<string>();
  const kept: string[] = [];
  for (const m of own.matchAll(ATTRIBUTE)) {
    names.add(m[1]!);
    kept.push(` ${m[0]}`);
  }
  const carried = declarations.filter(([name]) => !names.has(name)).map(([, text]) => ` ${text}`);
  return carried.join('') + kept.join('');
}
