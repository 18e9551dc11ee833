import type { ElementTree } from './schema-elements.js';
import type { HeaderCredentials } from './header-entries.js';
import type { ResolvedQName } from './qualified-names.js';

/** What the envelope guard (envelope-guard.ts) is told to check, and what it tells of a request. */

export interface GuardLimits {
  maxDepth: number;
  maxNameLength: number;
  /** Attributes (namespace declarations included) one element may carry. */
  maxAttributes?: number;
  /** Element names the schema declares; any other name inside the Body is refused. */
  knownElements?: ReadonlySet<string>;
  /**
   * Which members each element of the Body may hold: a name declared elsewhere in the schema
   * but not in its parent's type is refused as unknown too.
   */
  elementTree?: ElementTree;
  /**
   * Local names of the header entries the service processes, as spelt (or in lower case for
   * an entry read in any case): any other entry marked mustUnderstand="1" for this service is
   * named in the summary. Unset: not looked at.
   */
  understoodHeaders?: ReadonlySet<string>;
  /**
   * An empty element (`<lastCreatedAt/>`, `<lastCreatedAt></lastCreatedAt>`) holds no value: one
   * the schema does not declare is let through rather than named as unknown, as the vendor's
   * parser let it (its Ruby sample sends `startPosition/lastCreatedAt`). One with content is not.
   */
  skipEmptyUnknown?: boolean;
  /** false: refuse `id` and `href` attributes (SOAP encoding's multiRef) altogether. */
  multiRef?: boolean;
  /**
   * true: every element below the Body's own element must be in no namespace or in the Body
   * element's (where the schema has them). node-soap matches members by local name alone, so
   * `<x:Email xmlns:x="urn:other">` would be read as the schema's Email: refused instead.
   */
  membersInBodyNamespace?: boolean;
  /**
   * Told of every element of the envelope, in document order, once the guard has checked its
   * start tag: so that a listener looks at what it needs (an xsi:type's namespace) within the
   * guard's one pass, with the guard's namespace scopes. Refusing is left to the caller, after
   * the guard's answer: a hook that threw would hide what the guard finds later.
   */
  elementSeen?: ElementSeen;
}

/**
 * An element's namespace ('' for none) and local name, its xsi:type resolved in the element's
 * scope (null when it has none), and its depth (the Envelope is 1, the Body 2).
 */
export type ElementSeen = (
  ns: string,
  local: string,
  type: ResolvedQName | null,
  depth: number,
) => void;

export interface EnvelopeHead {
  /** The mktows AuthenticationHeader of the SOAP Header, or null when there is none. */
  credentials: HeaderCredentials | null;
}

export interface EnvelopeSummary extends EnvelopeHead {
  /** Namespace and local name of the Body's single child. */
  bodyElement: { ns: string; local: string };
  /** The first element inside the Body that the schema does not declare (where it stands). */
  unknownElement?: string;
  /** The element holding unknownElement, when the element tree placed it. */
  unknownElementParent?: string;
  /** The first header entry marked mustUnderstand="1" for us that is not understood. */
  headerNotUnderstood?: string;
}

/** Attributes per element when the caller sets no limit: far more than any SOAP stack writes. */
export const DEFAULT_MAX_ATTRIBUTES = 100;
