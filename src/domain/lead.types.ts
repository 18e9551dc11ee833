export const FOREIGN_SYS_TYPES = ['CUSTOM', 'SFDC', 'NETSUITE'] as const;
export type ForeignSysType = (typeof FOREIGN_SYS_TYPES)[number];

export const LEAD_KEY_TYPES = [
  'IDNUM',
  'COOKIE',
  'EMAIL',
  'LEADOWNEREMAIL',
  'SFDCACCOUNTID',
  'SFDCCONTACTID',
  'SFDCLEADID',
  'SFDCLEADOWNERID',
  'SFDCOPPTYID',
] as const;
export type LeadKeyType = (typeof LEAD_KEY_TYPES)[number];

export interface LeadKey {
  keyType: LeadKeyType;
  keyValue: string;
}

/** A lead change as a caller sends it; attribute values are still text. */
export interface LeadInput {
  id?: number;
  /** undefined: not sent; null: clear the address. */
  email?: string | null;
  foreignSysPersonId?: string;
  foreignSysType?: ForeignSysType;
  attributes?: ReadonlyArray<{ name: string; value: string | null }>;
  /**
   * The Email member keys the record and nothing more once its Id or ForeignSysPersonId found
   * the person (syncMultipleLeads, as the vendor's): that person keeps its address unless the
   * attributes carry Email; a person created takes it.
   */
  emailOnlyAsKey?: boolean;
}

export interface LeadAttribute {
  name: string;
  /** The vendor's attrType vocabulary (string, text, boolean, integer, currency, phone, url…). */
  type: string;
  /** true/false for booleans; the wire's 1/0 is the SOAP mapper's business. */
  value: string;
}

/** A lead as the domain shows it: attributes with a value, in catalogue order. */
export interface LeadView {
  id: number;
  email: string | null;
  foreignSysPersonId: string | null;
  foreignSysType: string | null;
  partition: string;
  unsubscribed: boolean;
  attributes: LeadAttribute[];
  createdAt: Date;
  updatedAt: Date;
}

export type SyncStatus = 'CREATED' | 'UPDATED';

/** What a record of syncMultipleLeads answers: which lead, and whether it was new. */
export interface SyncAnswer {
  leadId: number;
  status: SyncStatus;
}

export interface SyncResult extends SyncAnswer {
  lead: LeadView;
}
