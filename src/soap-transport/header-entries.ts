import { SOAP11_NS } from './fault-envelope.js';
import { fieldText, notUnderstood } from './xml-lexis.js';

/**
 * What the envelope guard reads from the SOAP Header's entries as it scans them: the mktows
 * AuthenticationHeader's fields, and the first entry that must be understood and is not.
 */

/** The actor SOAP 1.1 names for "the next recipient": this service. */
const NEXT_ACTOR = 'http://schemas.xmlsoap.org/soap/actor/next';

/** The AuthenticationHeader as the scan read it: text of each field, undefined when absent. */
export interface HeaderCredentials {
  mktowsUserId?: string;
  requestSignature?: string;
  requestTimestamp?: string;
}

const CREDENTIAL_FIELDS = new Set(['mktowsUserId', 'requestSignature', 'requestTimestamp']);

/**
 * The header entry `local` {`uri`} as the summary names it when it is marked mustUnderstand
 * for this service (no actor, or the next one); undefined when it is not. `attributes`: its
 * mustUnderstand and actor attributes by their names as written (decoded, trimmed);
 * `resolve`: a prefix's namespace where the entry stands.
 */
export function mustUnderstandEntry(
  local: string,
  uri: string,
  attributes: ReadonlyMap<string, string>,
  resolve: (prefix: string) => string | undefined,
): string | undefined {
  let mustUnderstand = false;
  let forUs = true;
  for (const [attribute, value] of attributes) {
    const c = attribute.indexOf(':');
    if (c === -1 || resolve(attribute.slice(0, c)) !== SOAP11_NS) continue;
    if (attribute.endsWith(':mustUnderstand')) mustUnderstand = value === '1' || value === 'true';
    else forUs = value === NEXT_ACTOR;
  }
  return mustUnderstand && forUs ? `${local.slice(0, 64)} {${uri.slice(0, 200)}}` : undefined;
}

/**
 * Reads the AuthenticationHeader's fields as the scan meets them: the entry (depth 3 of the
 * Header), its fields (depth 4), each field's text when it closes.
 */
export class CredentialsReader {
  /** What was read; null while no AuthenticationHeader was met. */
  credentials: HeaderCredentials | null = null;
  /** The AuthenticationHeader is open. */
  open = false;
  /** A field of it is open: its name and where its content starts. */
  private field: { name: keyof HeaderCredentials; from: number } | null = null;
  private readonly duplicates = new Set<string>();

  /**
   * A header entry named `local` starts: the AuthenticationHeader is found by its local name,
   * in any namespace, as node-soap read headers before this scan did.
   */
  entry(local: string, selfClosing: boolean): void {
    if (local !== 'AuthenticationHeader') return;
    if (this.credentials) throw notUnderstood('More than one AuthenticationHeader');
    this.credentials = {};
    this.open = !selfClosing;
  }

  /** An element `local` of the open AuthenticationHeader starts; its content from `from`. */
  member(local: string, selfClosing: boolean, from: number): void {
    if (!CREDENTIAL_FIELDS.has(local)) return;
    const name = local as keyof HeaderCredentials;
    const credentials = this.credentials!;
    // A repeated field is no field: node-soap would read a list, and so refuse it.
    if (name in credentials) {
      this.duplicates.add(name);
      delete credentials[name];
    }
    if (selfClosing) {
      if (!this.duplicates.has(name)) credentials[name] = '';
    } else this.field = { name, from };
  }

  /** An element's closing tag at `lt` in `xml`, which leaves `depth` elements open. */
  closed(xml: string, lt: number, depth: number): void {
    if (this.field && depth === 3) {
      const { name, from } = this.field;
      const value = fieldText(xml.slice(from, lt));
      if (value !== undefined && !this.duplicates.has(name)) this.credentials![name] = value;
      this.field = null;
    }
    if (depth === 2) this.open = false;
  }
}
