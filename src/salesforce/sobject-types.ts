import { AppError, ErrorCode } from '../errors.js';
import type { ElementSeen } from '../soap-transport/envelope-guard.js';

/**
 * The namespace of the sObject types an outbound message names (its WSDL imports it as the
 * `ens` schema; Salesforce writes `xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise…"`).
 */
export const SOBJECT_NS = 'urn:sobject.enterprise.soap.sforce.com';

/**
 * Refuses a message whose sObject names its type (`xsi:type`) in another namespace than
 * Salesforce's sObjects: node-soap reads the type's local name alone, so `zz:Lead` of
 * `urn:other` would be applied as a Lead. The fault of a type not served (20017), before
 * anything is read or applied. `outboundNs`: the namespace of `sObject` itself.
 *
 * It looks within the envelope guard's one pass: `elementSeen` goes to the guard
 * (GuardLimits.elementSeen), which hands it each element with its xsi:type resolved in scope;
 * `refuse` then throws for the first sObject typed elsewhere, once the guard has accepted the
 * envelope.
 */
export class SObjectTypes {
  private notifications = 0;
  private refusal: AppError | null = null;

  constructor(private readonly outboundNs: string) {}

  readonly elementSeen: ElementSeen = (ns, local, type) => {
    if (this.refusal || ns !== this.outboundNs) return;
    if (local === 'Notification') this.notifications++;
    if (local !== 'sObject' || type === null || type.ns === SOBJECT_NS) return;
    const where =
      type.ns === undefined
        ? 'its prefix is not bound'
        : type.ns === ''
          ? 'it is in no namespace'
          : `it is in ${type.ns.slice(0, 128)}`;
    this.refusal = new AppError(
      ErrorCode.INVALID_REQUEST,
      `Notification ${this.notifications}: sObject type ${type.written.slice(0, 64)} is not in namespace ${SOBJECT_NS}` +
        ` (${where}); send Lead, Contact or Account`,
    );
  };

  /** Throws the refusal of the first sObject typed outside SOBJECT_NS, if there was one. */
  refuse(): void {
    if (this.refusal) throw this.refusal;
  }
}
