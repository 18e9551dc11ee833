import type { Permissions } from './permissions.js';

export type { Permissions };

/**
 * The records the rules read and write, as plain data: what the stores of ports.ts take and
 * hand back. data-access maps them to and from rows.
 */

export type ColumnValue = string | number | boolean | null;

/** What a person holds: standard attribute columns by column name, custom ones decoded from JSON. */
export interface LeadFields {
  email: string | null;
  emailKey: string | null;
  partition: string;
  foreignSysPersonId: string | null;
  foreignSysType: string | null;
  unsubscribed: boolean;
  columns: Record<string, ColumnValue>;
  custom: Record<string, ColumnValue>;
}

/** A lead as stored. */
export interface LeadRecord extends LeadFields {
  id: number;
  createdAt: number;
  updatedAt: number;
  /** Where this person's last change stands in the order changes were applied (monotonic). */
  changeSeq: number;
}

/** A lead to create, as of `now`. */
export interface NewLead extends LeadFields {
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
  /**
   * From when every opt-out of the address by a path other than Salesforce is recorded, though
   * it is unsubscribed already (acknowledged-opt-outs.ts): set when a Salesforce record holding
   * it is first reported opted out, never changed after. Read, never written by a status write
   * (the row keeps it); absent: not so recorded.
   */
  optOutsRecordedSince?: number;
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

/** An entry of a person's activity log, as read back. */
export interface ActivityRecord {
  id: number;
  leadId: number;
  activityType: string;
  createdAt: number;
  attributeName: string | null;
  oldValue: string | null;
  newValue: string | null;
  reason: string | null;
  source: string | null;
  assetName: string | null;
  extra: Array<[string, string]>;
  actor: string | null;
  causeLeadId: number | null;
}

export interface ActivityQuery {
  /** Restrict to these display type names (include) or exclude them. */
  includeTypes?: readonly string[];
  excludeTypes?: readonly string[];
  /** Only these leads' activities (none: an empty list). */
  leadIds?: readonly number[];
  oldestCreatedAt?: number;
  latestCreatedAt?: number;
  /** A window of ids to look in (inclusive): how far one call may scan. */
  minId?: number;
  maxId?: number;
  /**
   * A date-bounded read's seek (ActivityQueries.dateSeek), inclusive: past these ids no
   * activity of the activities table (own) or of a propagation's followers (followed) lies
   * within the dates, so a read starts and stops there instead of passing over them.
   */
  ownMinId?: number;
  ownMaxId?: number;
  followedMaxId?: number;
  /**
   * Only activities of other types than Change Data Value (a filter that admits none of it):
   * read through the index that holds them alone; a propagation's followers, all of that type,
   * are not read.
   */
  withoutDataValues?: boolean;
}

/** The console's filters of the master status list; every one given narrows it. */
export interface StatusFilter {
  unsubscribed?: boolean;
  /** Part of the reason, any case. */
  reasonContains?: string;
  /** Part of the source (the path, with the actor in brackets), any case. */
  sourceContains?: string;
  changedFrom?: number;
  changedTo?: number;
  addressContains?: string;
  /** addressContains's other reading, set by the domain (foldedContains). */
  addressReadings?: AddressReadings;
}

/**
 * The filter of the opt-outs kept under joined keys (email_status_joined) for the spellings
 * they stand for: a StatusFilter's fields but the address, which `keyHoldsAnyOf` reads
 * loosely (a joined key holding any of them anywhere); the domain then applies the filter's
 * address to each spelling.
 */
export interface KeptFilter extends Omit<StatusFilter, 'addressContains' | 'addressReadings'> {
  keyHoldsAnyOf?: string[];
}

/**
 * What an "address contains" text also reads as in a key (addressReadings in email-key.ts):
 * `anywhere`, a text a key may hold anywhere (the text with the part after its '@' read as a
 * domain); `inDomain`, a text a key may hold after its '@' (the text read as a domain). A key
 * holding the text as it is, or either of these, matches.
 */
export interface AddressReadings {
  anywhere: string | null;
  inDomain: string | null;
}

/** A position in the master status list, newest first: the last row shown. */
export interface StatusCursor {
  changedAt: number;
  emailKey: string;
}

/**
 * Which people an operator picked: by search criteria, or by a pasted list of ids and addresses
 * (email keys). Every field narrows the selection; an empty selection picks nobody.
 */
export interface PeopleCriteria {
  /** Part of the address, any case. */
  emailContains?: string;
  /** emailContains's other reading, set by the domain (foldedContains). */
  emailReadings?: AddressReadings;
  partition?: string;
  createdFrom?: number;
  createdTo?: number;
  updatedFrom?: number;
  updatedTo?: number;
  unsubscribed?: boolean;
  /** A pasted list: these ids, or people holding these email keys. */
  ids?: readonly number[];
  emailKeys?: readonly string[];
}

export interface SelectionCounts {
  people: number;
  /** Distinct addresses the selected people hold. */
  addresses: number;
  partitions: number;
  /** People outside the selection who hold one of its addresses (they follow the master status). */
  followers: number;
  followerPartitions: number;
}

/** The operator console's background jobs (bulk changes, suppression imports). */
export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobRecord {
  id: number;
  kind: string;
  operator: string;
  state: JobState;
  spec: string;
  totalItems: number;
  totalBatches: number;
  progress: string | null;
  message: string | null;
  /** An import's uploaded file, its name as kept (importFileName); null: none recorded. */
  fileName: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  leaseUntil: number;
}

export interface JobBatchTotals {
  applied: number;
  changed: number;
  unchanged: number;
  failed: number;
}

export interface BatchFailure {
  id: number;
  why: string;
}

export interface PendingBatch {
  seq: number;
  items: number[];
}

/** A line of an import that was not applied, and why. */
export interface RejectedLine {
  line: number;
  email: string;
  why: string;
}

/** What this service recorded of one Salesforce outbound notification. */
export interface SalesforceNotificationRecord {
  notificationId: string;
  organizationId: string;
  recordId: string;
  outcome: 'APPLIED' | 'STALE';
  leadId: number | null;
  receivedAt: number;
}

/** What this service knows of one Salesforce record from the notifications it applied. */
export interface SalesforceRecordState {
  /**
   * The organisation (18-character id) whose notifications this state comes from; null: kept
   * from before organisations were kept, taken over by the first organisation to report it.
   */
  organizationId: string | null;
  recordId: string;
  objectType: string;
  /** Change order (epoch ms) of the newest notification applied; null when none carried one. */
  changedAt: number | null;
  /** Field values Salesforce last reported, by this service's field names. */
  reportedFields: Record<string, string | null>;
  lastNotificationId: string | null;
  updatedAt: number;
}

/** A stored SOAP API user. */
export interface UserRecord {
  userId: string;
  /** null: the stored key cannot be trusted (it does not open); the user cannot authenticate. */
  encryptionKey: string | null;
  description: string | null;
  createdAt: number;
  permissions: Permissions;
}

/** How the stored keys are kept, to upgrade them and to warn about those that cannot be used. */
export interface KeyReport {
  /** Sealed before keys were bound to their user: readable, to be sealed again. */
  legacy: number;
  /** Stored in clear while sealing is on: refused until sealed ("users seal"). */
  unsealed: number;
  /** Sealed, but not openable with this secret (another secret, moved, or tampered). */
  unreadable: number;
  total: number;
}

/** An operator of the console stored with the CLI; the password only as a hash. */
export interface OperatorRecord {
  name: string;
  passwordHash: string;
  createdAt: number;
}

/** A console login session, keyed by the hash of the cookie's token. */
export interface OperatorSessionRecord {
  tokenHash: string;
  operatorName: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  /**
   * A tag of the password hash the session was opened with (an ADMIN_USERS operator's, or a
   * stored operator's row); null for sessions opened before the tag was kept.
   */
  credentialTag: string | null;
  /** When a request last used the session (to the minute); its login time if never since. */
  lastSeenAt: number;
  /** The client address the login came from (TRUST_PROXY applied); null if not recorded. */
  clientAddress: string | null;
  /** The login's User-Agent, shortened (session-clients.ts); null if none or not recorded. */
  userAgent: string | null;
}
