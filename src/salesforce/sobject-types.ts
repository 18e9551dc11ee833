import { AppError, ErrorCode } from '../errors.js';

/**
 * The namespace of the sObject types an outbound message names (its WSDL imports it as the
 * `ens` schema; Salesforce writes `xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise…"`).
 */
export const SOBJECT_NS = 'urn:sobject.enterprise.soap.sforce.com';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

// Comments and CDATA sections hold no markup: taken out, so that neither passes for a tag.
const HIDDEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g;
const NAME = '[A-Za-z_][\\w.-]*(?::[A-Za-z_][\\w.-]*)?';
const TAG = new RegExp(
  `<(/?)(${NAME})((?:\\s+[^\\s=/>]+\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`,
  'g',
);
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

const prefixOf = (qname: string) => (qname.includes(':') ? qname.slice(0, qname.indexOf(':')) : '');
const localOf = (qname: string) => qname.slice(qname.indexOf(':') + 1);

const unescape = (v: string) =>
  v.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'amp'
          ? '&'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(Number(e.startsWith('#x') ? `0x${e.slice(2)}` : e.slice(1))),
  );

/**
 * Refuses a message whose sObject names its type (`xsi:type`) in another namespace than
 * Salesforce's sObjects: node-soap reads the type's local name alone, so `zz:Lead` of
 * `urn:other` would be applied as a Lead. The fault of a type not served (20017), before anything is read or applied. `outboundNs`: the namespace of `sObject` itself.
 *
 * Called on an envelope the guard (inspectEnvelope) has accepted: well-formed, no DTD, no
 * processing instructions, every prefix bound.
 */
export function refuseForeignSObjectTypes(xml: string, outboundNs: string): void {
  const scopes: Array<Map<string, string> | null> = [];
  const resolve = (prefix: string, own: Map<string, string> | null) => {
    if (own?.has(prefix)) return own.get(prefix);
    for (let i = scopes.length - 1; i >= 0; i--) {
      const uri = scopes[i]?.get(prefix);
      if (uri !== undefined) return uri;
    }
    return prefix === 'xml'
      ? 'http://www.w3.org/XML/1998/namespace'
      : prefix === ''
        ? ''
        : undefined;
  };
  let notifications = 0;
  for (const m of xml.replace(HIDDEN, '').matchAll(TAG)) {
    const [, closing, name, rawAttributes, selfClosing] = m;
    if (closing) {
      scopes.pop();
      continue;
    }
    let own: Map<string, string> | null = null;
    const attributes: Array<[string, string]> = [];
    for (const a of rawAttributes!.matchAll(ATTRIBUTE)) {
      const value = unescape(a[2] ?? a[3] ?? '');
      if (a[1] === 'xmlns' || a[1]!.startsWith('xmlns:'))
        (own ??= new Map()).set(a[1] === 'xmlns' ? '' : localOf(a[1]!), value);
      else attributes.push([a[1]!, value]);
    }
    const local = localOf(name!);
    if (local === 'Notification' && resolve(prefixOf(name!), own) === outboundNs) notifications++;
    if (local === 'sObject' && resolve(prefixOf(name!), own) === outboundNs) {
      for (const [attribute, value] of attributes) {
        if (localOf(attribute) !== 'type' || !attribute.includes(':')) continue;
        if (resolve(prefixOf(attribute), own) !== XSI_NS) continue;
        const type = value.trim();
        const ns = resolve(prefixOf(type), own);
        if (ns !== SOBJECT_NS) {
          throw new AppError(
            ErrorCode.INVALID_REQUEST,
            `Notification ${notifications}: sObject type ${type.slice(0, 64)} is not in namespace ${SOBJECT_NS}` +
              ` (${ns === undefined ? 'its prefix is not bound' : ns === '' ? 'it is in no namespace' : `it is in ${ns.slice(0, 128)}`}); send Lead, Contact or Account`,
          );
        }
      }
    }
    if (!selfClosing) scopes.push(own);
  }
}
