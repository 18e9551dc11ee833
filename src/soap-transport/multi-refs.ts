import { notUnderstood } from './xml-lexis.js';

/**
 * SOAP encoding's multi-reference values, as SOAP::Lite and Axis 1 write them: a value sent
 * more than once (SOAP::Lite: a Perl reference shared, such as one attribute list for several
 * lead records) goes once as a child of the Body after the operation's element, with an `id`,
 * and every place that holds it says `href="#id"`. The vendor's server resolved them; the
 * envelope guard and the readers take one element in the Body, so the references are put back
 * in place first: each `href` element gets the content (and the namespace declarations and
 * `xsi:type`) of the element it names, and the Body keeps the operation's element alone.
 *
 * Anything else is left as it is, for the guard to judge: a body without such references, a
 * Body child after the first that is neither a value with an `id` nor an empty reference (which
 * SOAP::Lite leaves there too, and which is dropped), a reference to no such element, text this
 * scanner does not follow (a DOCTYPE). A reference cycle, references nested deeper than the
 * guard's 64 levels, or an envelope that the references would make larger than `maxLength` or
 * eight times what was sent (this runs before the caller is known: a small body must not make
 * a large one), is refused (20012).
 */
export function inlineMultiRefs(xml: string, maxLength: number): string {
  if (!mayHoldMultiRefs(xml)) return xml;
  const tokens = tokenize(xml);
  if (!tokens) return xml;
  const body = bodyChildren(tokens);
  if (!body || body.children.length < 2) return xml;

  const targets = new Map<string, number>();
  for (const index of body.children.slice(1)) {
    const id = attributeValue(tokens[index]!.attributes, 'id');
    if (id === undefined) {
      // SOAP::Lite also leaves an empty reference beside the values it lists: nothing to read.
      const ref = attributeValue(tokens[index]!.attributes, 'href');
      if (ref?.startsWith('#') && onlySpaceBetween(xml, tokens, index)) continue;
      return xml;
    }
    if (targets.has(id)) return xml;
    targets.set(id, index);
  }

  const cap = Math.min(maxLength, xml.length * MAX_GROWTH);
  const out: string[] = [];
  let length = 0;
  const emit = (s: string) => {
    length += s.length;
    if (length > cap)
      throw notUnderstood(
        `The multi-reference values of the SOAP Body make it over ${cap} characters`,
      );
    out.push(s);
  };

  /** The content of the element at `open`, each reference inside it put in place. */
  const content = (open: number, within: readonly string[]): boolean => {
    const close = tokens[open]!.match;
    let at = tokens[open]!.end;
    for (let i = open + 1; i < close; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'open') continue;
      const ref = attributeValue(t.attributes, 'href');
      if (ref === undefined || !ref.startsWith('#')) continue;
      const id = ref.slice(1);
      const target = targets.get(id);
      // A reference with content of its own, or to nothing sent: left for the guard.
      if (target === undefined || !onlySpaceBetween(xml, tokens, i)) return false;
      if (within.includes(id))
        throw notUnderstood(`The multi-reference value ${id.slice(0, 64)} holds itself`);
      // Each reference placed is one level deeper (and one frame of this recursion): a chain
      // of thousands, one value holding a reference to the next, overflowed the stack (an
      // internal error, after a square of the chain's length in copies of `within`). Deeper
      // than the guard lets any envelope be, it is refused here.
      if (within.length >= MAX_REFERENCE_DEPTH)
        throw notUnderstood(
          `Multi-reference values nested more than ${MAX_REFERENCE_DEPTH} references deep`,
        );
      emit(xml.slice(at, t.start));
      emit(`<${t.name}${placed(t.attributes, tokens[target]!.attributes)}>`);
      if (!content(target, [...within, id])) return false;
      emit(`</${t.name}>`);
      i = t.match;
      at = tokens[i]!.end;
    }
    emit(xml.slice(at, tokens[close]!.start));
    return true;
  };

  const operation = tokens[body.children[0]!]!;
  if (operation.match === body.children[0]) return xml;
  emit(xml.slice(0, operation.end));
  if (!content(body.children[0]!, [])) return xml;
  emit(xml.slice(tokens[operation.match]!.start, tokens[operation.match]!.end));
  emit(xml.slice(tokens[body.close]!.start));
  return out.join('');
}

/**
 * Whether `xml` may hold a reference to put in place: nearly every body has none, and is told
 * so by one plain search over it (the rest only for those that may).
 */
export function mayHoldMultiRefs(xml: string): boolean {
  return xml.includes('href') && HREF.test(xml);
}

/** References within references: the envelope guard's own nesting limit, as no deeper passes it. */
const MAX_REFERENCE_DEPTH = 64;
/** How many times larger than the body sent its references may make it. */
const MAX_GROWTH = 8;
const HREF = /\shref\s*=\s*["']#/;
const TAG =
  /<(?:(\/)?([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/)?>|!--[\s\S]*?-->|!\[CDATA\[[\s\S]*?\]\]>|\?[\s\S]*?\?>)/y;
export const ATTRIBUTE = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

export interface Token {
  kind: 'open' | 'close' | 'other';
  name: string;
  attributes: string;
  start: number;
  end: number;
  depth: number;
  /** For an element's start: the index of its end (itself when self-closing); for an end: its start. */
  match: number;
}

/** The tags of `xml` in order, or null where it is not what SOAP stacks write. */
export function tokenize(xml: string): Token[] | null {
  const tokens: Token[] = [];
  const open: number[] = [];
  let at = xml.indexOf('<');
  while (at !== -1) {
    TAG.lastIndex = at;
    const m = TAG.exec(xml);
    if (!m) return null;
    const end = TAG.lastIndex;
    const depth = open.length;
    if (m[2] === undefined) {
      tokens.push({ kind: 'other', name: '', attributes: '', start: at, end, depth, match: -1 });
    } else if (m[1] !== undefined) {
      const from = open.pop();
      if (from === undefined || tokens[from]!.name !== m[2]) return null;
      tokens[from]!.match = tokens.length;
      tokens.push({
        kind: 'close',
        name: m[2],
        attributes: '',
        start: at,
        end,
        depth: depth - 1,
        match: from,
      });
    } else {
      const index = tokens.length;
      tokens.push({
        kind: 'open',
        name: m[2],
        attributes: m[3] ?? '',
        start: at,
        end,
        depth,
        match: index,
      });
      if (m[4] === undefined) open.push(index);
    }
    at = xml.indexOf('<', end);
  }
  return open.length === 0 ? tokens : null;
}

/** The Body's child elements (token indexes) and the index of the Body's end. */
export function bodyChildren(tokens: Token[]): { children: number[]; close: number } | null {
  const body = tokens.findIndex(
    (t) => t.kind === 'open' && t.depth === 1 && localName(t.name) === 'Body',
  );
  if (body === -1 || tokens[body]!.match === body) return null;
  const close = tokens[body]!.match;
  const children: number[] = [];
  for (let i = body + 1; i < close; i++) {
    const t = tokens[i]!;
    if (t.kind === 'open' && t.depth === 2) children.push(i);
  }
  return { children, close };
}

export const localName = (name: string) => name.slice(name.indexOf(':') + 1);

export function attributeValue(attributes: string, local: string): string | undefined {
  for (const m of attributes.matchAll(ATTRIBUTE)) {
    if (localName(m[1]!) === local && !m[1]!.startsWith('xmlns')) return m[3] ?? m[4];
  }
  return undefined;
}

/**
 * The attributes of an element that held a reference: its own but the `href`, then the
 * namespace declarations and `xsi:type` of the element it names (`id`, `soapenc:root` and
 * `encodingStyle` stay behind).
 */
function placed(own: string, target: string): string {
  const kept: string[] = [];
  const names = new Set<string>();
  for (const m of own.matchAll(ATTRIBUTE)) {
    if (m[1] === 'href') continue;
    kept.push(` ${m[0]}`);
    names.add(m[1]!);
  }
  for (const m of target.matchAll(ATTRIBUTE)) {
    const name = m[1]!;
    const carried = name === 'xmlns' || name.startsWith('xmlns:') || localName(name) === 'type';
    if (carried && !names.has(name)) kept.push(` ${m[0]}`);
  }
  return kept.join('');
}

/** Whether the element at `open` is empty (self-closing, or nothing but white space inside). */
function onlySpaceBetween(xml: string, tokens: Token[], open: number): boolean {
  const t = tokens[open]!;
  if (t.match === open) return true;
  return t.match === open + 1 && xml.slice(t.end, tokens[t.match]!.start).trim() === '';
}
