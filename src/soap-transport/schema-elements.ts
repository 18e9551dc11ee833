/**
 * Which elements each element of a request may hold, as the WSDL's schema declares them: so
 * that a member the schema declares somewhere else (keyType inside a leadRecord, getMultipleLeads'
 * includeAttributes inside an activityFilter) is refused as unknown where it stands, instead of
 * passing because its name exists in some other type and then being ignored.
 *
 * Read from the WSDL's own text: named complexTypes made of sequences and choices of
 * `xs:element name type` (and xs:extension of a base), which is all mktows.wsdl uses; a WSDL
 * that needs more (anonymous types, refs, groups, xs:any) is refused at start-up rather than
 * half understood. Names match in any case, as the vendor's parser did; the name as declared is
 * found without lower-casing it.
 */

export interface ElementNode {
  /** The node of a child element named `local` (any case), or undefined when it may not stand here. */
  child(local: string): ElementNode | undefined;
  /** Whether a child named `local` (any case) is one of a list here (maxOccurs unbounded). */
  repeats(local: string): boolean;
}

export interface ElementTree {
  /** The node of a top-level element (paramsX), or undefined when the schema declares none. */
  body(local: string): ElementNode | undefined;
  /** The members of a top-level element's type, as the schema spells them. */
  members(local: string): readonly string[];
}

interface TypeDecl {
  base?: string;
  abstract: boolean;
  members: Member[];
}

interface Member {
  name: string;
  type: string;
  /** maxOccurs="unbounded": an array's item. */
  many: boolean;
}

const TAG = /<(\/?)xs:([A-Za-z]+)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*"([^"]*)"/g;
/** Tags that carry no element declarations of their own. */
const PASSIVE = new Set([
  'schema',
  'sequence',
  'choice',
  'complexContent',
  'annotation',
  'documentation',
  'simpleType',
  'restriction',
  'enumeration',
]);

function attributesOf(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of text.matchAll(ATTRIBUTE)) found.set(m[1]!, m[2]!);
  return found;
}

/** The local part of a QName (`tns:LeadKey` → `LeadKey`). */
const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

/** A simple value (xs:string, tns:LeadKeyRef…): no child is ever in its place. */
const LEAF: ElementNode = { child: () => undefined, repeats: () => false };

/**
 * Members a type is read under another name too, by type: `{ LeadRecord: { leadId: 'Id' } }`
 * lets a leadRecord hold a leadId where it holds an Id (any case), the WSDL unchanged.
 */
export type ReadAlso = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The element tree of the `xs:schema` in `wsdlXml` (prefix `xs`, as mktows.wsdl writes it). */
export function elementTree(wsdlXml: string, readAlso: ReadAlso = {}): ElementTree {
  const types = new Map<string, TypeDecl>();
  const topLevel = new Map<string, string>();
  const open: string[] = [];
  let current: TypeDecl | null = null;
  for (const m of wsdlXml.replace(/<!--[\s\S]*?-->/g, '').matchAll(TAG)) {
    const [, closing, tag, attributeText, selfClosing] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (closing) {
      if (open.pop() !== tag) throw new Error(`WSDL schema: unbalanced </xs:${tag}>`);
      if (tag === 'complexType') current = null;
      continue;
    }
    const attributes = attributesOf(attributeText);
    if (tag === 'complexType') {
      const name = attributes.get('name');
      if (!name || current) throw new Error('WSDL schema: anonymous or nested complexType');
      current = { abstract: attributes.get('abstract') === 'true', members: [] };
      types.set(name, current);
    } else if (tag === 'element') {
      const name = attributes.get('name');
      const type = attributes.get('type');
      if (!name || !type) throw new Error('WSDL schema: an element without a name and a type');
      const many = attributes.get('maxOccurs') === 'unbounded';
      if (current) current.members.push({ name, type: localName(type), many });
      else topLevel.set(name, localName(type));
    } else if (tag === 'extension') {
      const base = attributes.get('base');
      if (!current || !base) throw new Error('WSDL schema: xs:extension outside a complexType');
      current.base = localName(base);
    } else if (!PASSIVE.has(tag)) {
      throw new Error(`WSDL schema: xs:${tag} is not understood here`);
    }
    if (!selfClosing) open.push(tag);
  }

  /** Members of a type with its bases'; an abstract type's are every derived type's. */
  const membersOf = (name: string, seen: Set<string>): Member[] => {
    const decl = types.get(name);
    if (!decl || seen.has(name)) return [];
    seen.add(name);
    const members = [...(decl.base ? membersOf(decl.base, seen) : []), ...decl.members];
    if (decl.abstract) {
      // Chosen by xsi:type (LeadSelector): any derived type's members may stand here.
      for (const [derived, d] of types)
        if (d.base === name) members.push(...membersOf(derived, seen));
    }
    return members;
  };

  // Checked at start-up, not when a request first meets the type.
  for (const [type, names] of Object.entries(readAlso)) {
    const members = new Set(membersOf(type, new Set()).map((m) => m.name));
    for (const name of Object.values(names))
      if (!members.has(name)) throw new Error(`WSDL schema: ${type} declares no ${name}`);
  }

  /** The item of an array type (one unbounded member, nothing else), or undefined. */
  const arrayItem = (type: string): Member | undefined => {
    const decl = types.get(type);
    if (!decl || decl.base || decl.abstract || decl.members.length !== 1) return undefined;
    return decl.members[0]!.many ? decl.members[0] : undefined;
  };

  /**
   * The node of an item of an array of arrays (ArrayOfKeyList's keyList, an ArrayOfAttribute):
   * its own items, and also items under the outer array's item name, as Apache Axis 1.4 writes
   * the first inner array (`<keyList><keyList><attrName>…`). Below that name stands only the
   * inner item's type: `<keyList><keyList><keyList>` is still refused.
   */
  const nestedItemNode = (outer: Member, inner: Member): ElementNode => {
    const own = nodeOf(outer.type);
    const lowerName = outer.name.toLowerCase();
    return {
      child(local) {
        const found = own.child(local);
        if (found !== undefined) return found;
        return local === outer.name || local.toLowerCase() === lowerName
          ? nodeOf(inner.type)
          : undefined;
      },
      repeats(local) {
        return own.repeats(local) || local.toLowerCase() === lowerName;
      },
    };
  };

  const nodes = new Map<string, ElementNode>();
  const nodeOf = (type: string): ElementNode => {
    if (!types.has(type)) return LEAF;
    let node = nodes.get(type);
    if (node) return node;
    const declared = new Map<string, string>();
    const lower = new Map<string, string>();
    const many = new Set<string>();
    for (const member of membersOf(type, new Set())) {
      declared.set(member.name, member.type);
      lower.set(member.name.toLowerCase(), member.type);
      if (member.many) many.add(member.name.toLowerCase());
    }
    for (const [other, name] of Object.entries(readAlso[type] ?? {})) {
      const memberType = declared.get(name);
      if (memberType !== undefined && !lower.has(other.toLowerCase()))
        lower.set(other.toLowerCase(), memberType);
    }
    const outer = arrayItem(type);
    const inner = outer && arrayItem(outer.type);
    let nested: ElementNode | undefined;
    // The node of each member as spelt, once found: every element of a request asks its
    // parent's node (three lookups a time, ~3,000 elements in a 300-record batch). Other
    // spellings are looked up each time, so that no request can grow this.
    const byName = new Map<string, ElementNode>();
    node = {
      child(local) {
        const known = byName.get(local);
        if (known !== undefined) return known;
        const childType = declared.get(local) ?? lower.get(local.toLowerCase());
        if (childType === undefined) return undefined;
        const found =
          inner && childType === outer.type
            ? (nested ??= nestedItemNode(outer, inner))
            : nodeOf(childType);
        if (declared.has(local)) byName.set(local, found);
        return found;
      },
      repeats: (local) => many.has(local.toLowerCase()),
    };
    nodes.set(type, node);
    return node;
  };

  return {
    body(local) {
      const type = topLevel.get(local);
      return type === undefined ? undefined : nodeOf(type);
    },
    members(local) {
      const type = topLevel.get(local);
      return type === undefined ? [] : membersOf(type, new Set()).map((m) => m.name);
    },
  };
}
