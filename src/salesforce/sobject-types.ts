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
 * node-soap reads every element by its local name too: `<zz:HasOptedOutOfEmail
 * xmlns:zz="urn:other">false</…>` in an sObject was read as its opt-out box, and unticked the
 * record. So the members of `notifications` and of each `Notification` must be in `outboundNs`
 * and the fields of each sObject in SOBJECT_NS, as Salesforce writes them (under any prefix);
 * any other is refused, not understood (20012, naming it and its namespace).
 *
 * It looks within the envelope guard's one pass: `elementSeen` goes to the guard
 * (GuardLimits.elementSeen), which hands it each element with its xsi:type resolved in scope;
 * `refuse` then throws for the first sObject typed elsewhere (or member elsewhere), once the
 * guard has accepted the envelope.
 */
export class SObjectTypes {
  private notifications = 0;
  private refusal: AppError | null = null;
  /** The namespace and local name of the element open at each depth (index depth - 1). */
  private readonly openNs: string[] = [];
  private readonly openLocal: string[] = [];

  constructor(private readonly outboundNs: string) {}

  readonly elementSeen: ElementSeen = (ns, local, type, depth) => {
    if (this.refusal) return;
    const at = depth - 1;
    this.openNs[at] = ns;
    this.openLocal[at] = local;
    if (depth >= 4 && this.inBodyNotifications()) this.checkMember(ns, local, depth);
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

  /** Whether the element open at depth 3 is the Body's notifications (the outbound message). */
  private inBodyNotifications(): boolean {
    return (
      this.openLocal[1] === 'Body' &&
      this.openLocal[2] === 'notifications' &&
      this.openNs[2] === this.outboundNs
    );
  }

  /** The element at `depth` (4 or more) of the Body's notifications, in its parent's namespace. */
  private checkMember(ns: string, local: string, depth: number): void {
    const parent = this.openLocal[depth - 2];
    const parentNs = this.openNs[depth - 2];
    let expected: string;
    if (depth === 4) expected = this.outboundNs;
    else if (depth === 5 && parent === 'Notification' && parentNs === this.outboundNs)
      expected = this.outboundNs;
    else if (
      depth === 6 &&
      parent === 'sObject' &&
      parentNs === this.outboundNs &&
      this.openLocal[3] === 'Notification' &&
      this.openNs[3] === this.outboundNs
    )
      expected = SOBJECT_NS;
    else return;
    if (ns === expected) return;
    const where = ns === '' ? 'in no namespace' : `in namespace ${ns.slice(0, 128)}`;
    const notification = depth === 4 ? '' : `Notification ${this.notifications}: `;
    this.refusal = new AppError(
      ErrorCode.REQUEST_NOT_UNDERSTOOD,
      `${notification}element ${local.slice(0, 64)} of ${parent!.slice(0, 64)} is ${where}: ` +
        `the members of ${parent!.slice(0, 64)} are in ${expected}`,
    );
  }

  /** Throws the refusal of the first sObject typed outside SOBJECT_NS, if there was one. */
  refuse(): void {
    if (this.refusal) throw this.refusal;
  }
}
