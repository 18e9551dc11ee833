/**
 * The records the rules read and write, as plain data: what the stores of ports.ts take and
 * hand back. data-access maps them to and from rows.
 */

export type ColumnValue = string | number | boolean | null;

/** A lead as stored: standard attribute columns by column name, custom ones decoded from JSON. */
export interface LeadRecord {
  id: number;
  email: string | null;
  emailKey: string | null;
  partition: string;
  foreignSysPersonId: string | null;
  foreignSysType: string | null;
  unsubscribed: boolean;
  columns: Record<string, ColumnValue>;
  custom: Record<string, ColumnValue>;
  createdAt: number;
  updatedAt: number;
  /** Where this person's last change stands in the order changes were applied (monotonic). */
  changeSeq: number;
}

export interface NewLead {
  email: string | null;
  emailKey: string | null;
  partition: string;
  foreignSysPersonId: string | null;
  foreignSysType: string | null;
  unsubscribed: boolean;
  columns: Record<string, ColumnValue>;
  custom: Record<string, ColumnValue>;
  now: number;
}

export interface LeadUpdate {
  email?: string | null;
  emailKey?: string | null;
  foreignSysPersonId?: string | null;
  foreignSysType?: string | null;
  unsubscribed?: boolean;
  columns?: Record<string, ColumnValue>;
  custom?: Record<string, ColumnValue>;
}

/** What propagation writes into each affected lead's activity log. */
export interface PropagationActivity {
  attributeName: string;
  reason: string;
  source: string;
  /** Who made the change the people follow. */
  actor?: string | null;
  /** The person whose change they follow, if a person's. */
  causeLeadId?: number | null;
}

export interface InvariantViolation {
  leadId: number;
  emailKey: string;
  leadUnsubscribed: boolean;
  masterUnsubscribed: boolean | null;
}

export interface EmailStatusRecord {
  emailKey: string;
  unsubscribed: boolean;
  reason: string | null;
  source: string;
  leadId: number | null;
  changedAt: number;
  /** When it was written here, if not changedAt (a backdated import); written, never read back. */
  recordedAt?: number;
  /** A re-subscribe: the reason of the suppression it lifted (null: none given). */
  liftedReason?: string | null;
  /** A re-subscribe: when the suppression it lifted began; absent/null: nothing was lifted. */
  liftedAt?: number | null;
}

export interface EmailStatusHistoryRecord extends EmailStatusRecord {
  id: number;
}

export interface NewActivity {
  leadId: number;
  activityType: string;
  createdAt: number;
  attributeName?: string | null;
  oldValue?: string | null;
  newValue?: string | null;
  reason?: string | null;
  source?: string | null;
  assetName?: string | null;
  /** Further attributes in display order. */
  extra?: Array<[string, string]>;
  /** Who made the change (operator, SOAP user…), when known. */
  actor?: string | null;
  /** The person whose change this one followed (a propagated unsubscribe). */
  causeLeadId?: number | null;
}

/** The activity propagation logs on each person whose flag followed the master status. */
export function propagationActivity(
  leadId: number,
  unsubscribed: boolean,
  now: number,
  activity: PropagationActivity,
): NewActivity {
  return {
    leadId,
    activityType: 'Change Data Value',
    createdAt: now,
    attributeName: activity.attributeName,
    oldValue: String(!unsubscribed),
    newValue: String(unsubscribed),
    reason: activity.reason,
    source: activity.source,
    actor: activity.actor ?? null,
    causeLeadId: activity.causeLeadId ?? null,
  };
}
