/**
 * What node-soap's xmlToObject decides per element from the WSDL, computed once from the same
 * parsed WSDL and the same lookups, so that the fast request reader builds the very object
 * node-soap builds: which children an element may have, which of them collect into arrays, and
 * how its text becomes a value.
 */

/** The parts of node-soap's parsed WSDL the reader looks at (its typings keep them private). */
export interface WsdlInternals {
  options: {
    handleNilAsNull?: boolean;
    preserveWhitespace?: boolean;
    attributesKey?: string;
    valueKey?: string;
    customDeserializer?: Record<string, unknown>;
  };
  definitions: {
    messages: Record<string, { description(definitions: unknown): unknown } | undefined>;
  };
  findSchemaObject(uri: string | undefined, name: string): unknown;
  xmlToObject(xml: unknown, callback?: unknown): unknown;
}

/** How an element's text becomes its value. */
export const enum TextKind {
  /** Text is refused (declined): the element holds elements, or a value node-soap converts. */
  None,
  /** Concatenated segments, node-soap's string handling. */
  Text,
  /** The last segment alone, as a custom deserializer of ours returns it. */
  Raw,
}

export interface Shape {
  text: TextKind;
  /** An empty element is '' rather than null (node-soap's xs:string rule). */
  emptyIsString: boolean;
  /** The children this reader knows, by local name; any other child declines. */
  child(local: string): Shape | undefined;
  /** A child of this name collects into an array even when it comes once. */
  isArray(local: string): boolean;
  /**
   * Children's names as the schema spells them, when few (a start tag is tried against each
   * before its name is read): the names `child` knows as written, or some of them.
   */
  names?: readonly string[];
}

/** Most names a shape offers to be tried one by one at a start tag (Shape.names). */
const MAX_TRIED_NAMES = 8;

/** Keys node-soap's schema descriptions carry that are no element. */
const NOT_ELEMENTS = new Set(['targetNSAlias', 'targetNamespace']);
/** Type names node-soap converts itself (parseInt, Number, Date, booleans): not reproduced. */
const CONVERTED = new Set([
  'int',
  'integer',
  'short',
  'long',
  'double',
  'float',
  'decimal',
  'bool',
  'boolean',
  'dateTime',
  'date',
]);

/** node-soap's splitQName(...).name: the part after the first colon of the part before a '|'. */
export function localOf(qname: unknown): unknown {
  if (typeof qname !== 'string') return qname;
  const top = qname.split('|', 1)[0]!;
  return top.substring(top.indexOf(':') + 1);
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

export class ShapeBook {
  private readonly raw: ReadonlySet<string>;
  /** Lower-cased names of every element of the described shapes (for case-variant names). */
  readonly lowerNames = new Set<string>();
  private readonly shapes = new WeakMap<object, Shape>();
  private readonly leaves = new Map<string, Shape>();
  private looseShape: Shape | undefined;

  constructor(
    private readonly wsdl: WsdlInternals,
    rawTextTypes: readonly string[],
  ) {
    const deserializers = wsdl.options.customDeserializer ?? {};
    this.raw = new Set(rawTextTypes.filter((t) => typeof deserializers[t] === 'function'));
  }

  /** The text rule of an element whose schema is `schema`, as node-soap's ontext picks it. */
  private textKind(schema: unknown): TextKind {
    const name = localOf(schema);
    const key = String(name);
    const deserializers = this.wsdl.options.customDeserializer ?? {};
    if (Object.hasOwn(deserializers, key)) return this.raw.has(key) ? TextKind.Raw : TextKind.None;
    if (typeof name === 'string' && CONVERTED.has(name)) return TextKind.None;
    return TextKind.Text;
  }

  /** The shape of an element node-soap gives the schema `schema` (a description value). */
  of(schema: unknown): Shape | undefined {
    if (typeof schema === 'string') {
      let leaf = this.leaves.get(schema);
      if (!leaf) {
        leaf = {
          text: this.textKind(schema),
          emptyIsString: localOf(schema) === 'string',
          child: () => undefined,
          isArray: () => false,
          names: undefined,
        };
        this.leaves.set(schema, leaf);
      }
      return leaf;
    }
    if (!isPlain(schema)) return undefined;
    const known = this.shapes.get(schema);
    if (known) return known;
    const children = new Map<string, Shape | null>();
    const byLower = new Map<string, string>();
    const arrays = new Set<string>();
    const names = new Set<string>();
    for (const key of Object.keys(schema)) {
      if (key.endsWith('[]') && schema[key]) arrays.add(key.slice(0, -2));
      if (NOT_ELEMENTS.has(key)) continue;
      const name = key.endsWith('[]') ? key.slice(0, -2) : key;
      names.add(name);
      byLower.set(name.toLowerCase(), name);
      this.lowerNames.add(name.toLowerCase());
    }
    const shape: Shape = {
      // Text in an element that holds elements: node-soap makes it a string or fails.
      text: TextKind.None,
      emptyIsString: false,
      child: (local) => {
        let found = children.get(local);
        if (found === undefined) {
          found = this.childOf(schema, local, byLower) ?? null;
          children.set(local, found);
        }
        return found ?? undefined;
      },
      isArray: (local) => arrays.has(local),
      names: names.size <= MAX_TRIED_NAMES ? [...names] : undefined,
    };
    this.shapes.set(schema, shape);
    return shape;
  }

  private childOf(
    schema: Record<string, unknown>,
    local: string,
    byLower: Map<string, string>,
  ): Shape | undefined {
    const arrayName = `${local}[]`;
    if (NOT_ELEMENTS.has(local)) return undefined;
    if (Object.hasOwn(schema, local) || Object.hasOwn(schema, arrayName)) {
      // node-soap's own expression for the schema a child gets from its parent.
      const name = schema[arrayName] ? arrayName : local;
      const fromParent = schema[local] || schema[arrayName] || schema[name] || schema[`${name}[]`];
      return fromParent ? this.of(fromParent) : undefined;
    }
    // A member in another case (foreignSysPersonId): node-soap finds no schema for it.
    if (byLower.has(local.toLowerCase())) return this.loose(local);
    return undefined;
  }

  /**
   * An element node-soap finds no schema for: its text is plain text, nothing is an array, an
   * empty one is null. Its children are schema-less too, when they are names the schema knows
   * in some case (and no message's name, which node-soap would look up).
   */
  loose(local: string): Shape | undefined {
    if (Object.hasOwn(this.wsdl.definitions.messages, local)) return undefined;
    return (this.looseShape ??= {
      text: this.textKind(undefined),
      emptyIsString: false,
      child: (name) => (this.lowerNames.has(name.toLowerCase()) ? this.loose(name) : undefined),
      isArray: () => false,
      names: undefined,
    });
  }

  /** The shape node-soap gives a header element: its message's description, looked up by name. */
  header(local: string, fields: readonly string[]): Shape | undefined {
    const message = this.wsdl.definitions.messages[local];
    if (!message) return undefined;
    const described = message.description(this.wsdl.definitions) as Record<string, unknown>;
    const schema =
      described &&
      (described[local] || described[`${local}[]`] || described[local] || described[`${local}[]`]);
    if (schema !== null && schema !== undefined) return undefined;
    // No schema: every field is schema-less text, as node-soap reads it.
    const allowed = new Set(fields);
    for (const f of fields) {
      this.lowerNames.add(f.toLowerCase());
      if (Object.hasOwn(this.wsdl.definitions.messages, f)) return undefined;
    }
    return {
      text: TextKind.None,
      emptyIsString: false,
      child: (name) => (allowed.has(name) ? this.loose(name) : undefined),
      isArray: () => false,
      names: fields.length <= MAX_TRIED_NAMES ? fields : undefined,
    };
  }

  /**
   * Every element name under `schema`, lower-cased, known from the start: whether a member in
   * another case is read must not depend on which requests came before.
   */
  private learnNames(schema: unknown): void {
    const seen = new Set<object>();
    const pending: unknown[] = [schema];
    while (pending.length > 0) {
      const next = pending.pop();
      if (!isPlain(next) || seen.has(next)) continue;
      seen.add(next);
      for (const key of Object.keys(next)) {
        if (NOT_ELEMENTS.has(key)) continue;
        this.lowerNames.add((key.endsWith('[]') ? key.slice(0, -2) : key).toLowerCase());
        pending.push(next[key]);
      }
    }
  }

  /**
   * The shape of a Body element node-soap reads as the message `local`. It finds the schema in
   * the message's description either way it looks (as the message, when it saw the envelope's
   * prefix declared; by the element's name otherwise): with no `local[]` entry both ways give
   * `described[local]`.
   */
  body(local: string): Shape | undefined {
    const message = this.wsdl.definitions.messages[local];
    if (!message) return undefined;
    const described = message.description(this.wsdl.definitions);
    if (!isPlain(described) || described[`${local}[]`]) return undefined;
    const schema = described[local];
    this.learnNames(schema);
    const shape = this.of(schema);
    return shape && shape.text === TextKind.None ? shape : undefined;
  }
}
