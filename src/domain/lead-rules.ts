import { AppError, ErrorCode } from '../errors.js';
import { RESET_REASON, type ChangePath } from './change-paths.js';
import { EMAIL_DISPLAY_NAME, FieldCatalogue, type FieldValue } from './field-catalogue.js';
import type { PreparedChange } from './lead-input.js';
import type { ColumnValue, LeadRecord, LeadUpdate, NewActivity, NewLead } from './records.js';

/**
 * The rules of a change to one person, as a plan: what to write to the person, what to log,
 * and which master statuses change. Pure: the caller reads what the plan needs, and writes it.
 */

/** A master status change the plan asks for (rules 1, 2 and 5): setMasterStatus does it. */
export interface MasterChange {
  key: string;
  unsubscribed: boolean;
  reason: string | null;
  /**
   * The person's own UnsubscribedReason, kept by an unsubscribe of its own that gives none
   * (given before the flag, in another call): the status takes it if it is protected (a
   * complaint), as it would, given with the flag or after it (lead-update.ts).
   */
  kept?: string;
}

export interface LeadPlan {
  update: LeadUpdate;
  /** One for every change, in the order made: every write of the plan logs one. */
  activities: NewActivity[];
  /** In order; each one propagates to the other people of its address. */
  masterChanges: MasterChange[];
  /**
   * Opt-outs the change states of the person's address while both are unsubscribed already
   * (Unsubscribed=true, or an UnsubscribedReason): nothing of the person changes for them (rule
   * 7), but the master status may have to record them (DurableStatusService.acknowledgeOptOut),
   * in order. Two at most, both of a move that carries an opt-out: the person's own, with its
   * reason, and the reason the change gives (either may be the protected one).
   */
  acknowledged: StatedOptOut[];
}

/** An opt-out a change states of an address (LeadPlan.acknowledged). */
export interface StatedOptOut {
  key: string;
  optOut: boolean;
  reason: string | null;
  /** As MasterChange.kept: the person's own reason, stated when protected and none is given. */
  kept?: string;
}

function same(a: ColumnValue | undefined, b: FieldValue | null): boolean {
  return (a ?? null) === null ? b === null : b !== null && String(a) === String(b);
}

export function text(v: ColumnValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** The fields of a new person's change split into its columns and custom attributes. */
function newLeadFields(fields: PreparedChange['fields']) {
  const columns: Record<string, ColumnValue> = {};
  const custom: Record<string, ColumnValue> = {};
  for (const { field, value } of fields) {
    if (field.column) columns[field.column] = value;
    else if (value !== null) custom[field.name] = value;
  }
  return { columns, custom };
}

/** Columns planChange and the durable rules read of a person, beyond its own fields. */
const ALWAYS_READ = ['unsubscribed_reason'];

/**
 * The lead columns applying `changes` reads (besides id, address, keys, flag, custom
 * attributes and times, which a record always carries): what each field of a change compares
 * against, and what the rules read whatever the change. A rule that starts reading another
 * column adds it here.
 */
export function columnsRead(changes: readonly PreparedChange[]): string[] {
  const columns = new Set<string>(ALWAYS_READ);
  for (const c of changes)
    for (const f of c.fields) if (f.field.column) columns.add(f.field.column);
  return [...columns];
}

/**
 * The address a change moves `lead` to, when it is a new one whose master status the plan
 * needs (planChange's `newAddressUnsubscribed`); null otherwise.
 */
export function newAddressOf(lead: LeadRecord, change: PreparedChange): string | null {
  if (change.email === undefined || change.email === lead.email) return null;
  const key = change.emailKey ?? null;
  return key !== null && key !== lead.emailKey ? key : null;
}

/**
 * The plan of `change` to `lead`. `newAddressUnsubscribed`: the master status of
 * newAddressOf(lead, change), when there is one (any value otherwise: it is not read).
 */
export function planChange(
  lead: LeadRecord,
  change: PreparedChange,
  newAddressUnsubscribed: boolean,
  path: ChangePath,
  now: number,
): LeadPlan {
  const plan: LeadPlan = { update: {}, activities: [], masterChanges: [], acknowledged: [] };
  // Rule 6: the address first, then the flag, then the other fields. Steps of their own rather
  // than closures over the plan: planChange runs for every record of a batch.
  const carried = planAddress(plan, lead, change, newAddressUnsubscribed, path, now);
  planFlag(plan, lead, change, carried, path, now);
  planFields(plan, lead, change, path, now);
  return plan;
}

/**
 * The address step of planChange: the new address, and the flag the new address's master
 * status gives the person (or rule 5: the person's opt-out it carries there). Returns the
 * reason ('' for none) of an opt-out an address-less person carries to a new address that is
 * unsubscribed already, for planFlag to state there; null otherwise.
 */
function planAddress(
  plan: LeadPlan,
  lead: LeadRecord,
  change: PreparedChange,
  newAddressUnsubscribed: boolean,
  path: ChangePath,
  now: number,
): string | null {
  if (change.email === undefined || change.email === lead.email) return null;
  const { update } = plan;
  update.email = change.email;
  update.emailKey = change.emailKey ?? null;
  plan.activities.push(valueChange(lead, path, now, EMAIL_DISPLAY_NAME, lead.email, change.email));
  if (newAddressOf(lead, change) === null) return null;
  const carries = lead.emailKey === null && lead.unsubscribed;
  if (carries && !newAddressUnsubscribed) {
    // Rule 5: an unsubscribed person without an address carries the unsubscribe to it.
    plan.masterChanges.push({
      key: change.emailKey!,
      unsubscribed: true,
      reason: text(lead.columns.unsubscribed_reason),
    });
  } else if (carries) {
    // The same, at an address unsubscribed already: the person's own opt-out is stated
    // there all the same (planFlag).
    return text(lead.columns.unsubscribed_reason) ?? '';
  } else if (newAddressUnsubscribed !== lead.unsubscribed) {
    const to = String(newAddressUnsubscribed);
    plan.activities.push(
      valueChange(lead, path, now, 'Unsubscribed', String(lead.unsubscribed), to, RESET_REASON),
    );
    update.unsubscribed = newAddressUnsubscribed;
  }
  return null;
}

/**
 * The flag step of planChange, after the address step: the flag the change sets and the
 * master change that comes with it, or the opt-outs it states of an address unsubscribed
 * already (LeadPlan.acknowledged). `carried`: planAddress's answer.
 */
function planFlag(
  plan: LeadPlan,
  lead: LeadRecord,
  change: PreparedChange,
  carried: string | null,
  path: ChangePath,
  now: number,
): void {
  const { update, masterChanges, acknowledged } = plan;
  // The flag and the address as the address step left them.
  const flag = update.unsubscribed ?? lead.unsubscribed;
  const key = update.email !== undefined ? (update.emailKey ?? null) : lead.emailKey;
  const reasonField = change.fields.find((f) => f.field.name === 'UnsubscribedReason');
  const reason = reasonField ? text(reasonField.value) : null;
  if (change.unsubscribed !== undefined && change.unsubscribed !== flag) {
    plan.activities.push(
      valueChange(lead, path, now, 'Unsubscribed', String(flag), String(change.unsubscribed)),
    );
    update.unsubscribed = change.unsubscribed;
    if (key !== null) {
      const kept = text(lead.columns.unsubscribed_reason);
      masterChanges.push(
        change.unsubscribed && !reasonField && kept !== null
          ? { key, unsubscribed: true, reason, kept }
          : { key, unsubscribed: change.unsubscribed, reason },
      );
    }
  } else if (
    flag &&
    key !== null &&
    (change.unsubscribed === true || reason !== null || carried !== null)
  ) {
    const carriedTo = masterChanges.find((m) => m.key === key);
    if (carriedTo) {
      // The opt-out carried to the address, with the person's own reason (planAddress): the
      // reason this change gives is stated there too, or a complaint given with the address
      // would be left out of the status, an opt-out any re-subscribe lifts.
      if (reason !== null && reason !== carriedTo.reason)
        acknowledged.push({ key, optOut: false, reason });
    } else if (carried && reason !== null && reason !== carried) {
      // Carried to an address unsubscribed already: the person's reason and the change's
      // are both stated (either may be the protected one).
      acknowledged.push({ key, optOut: true, reason: carried });
      acknowledged.push({ key, optOut: false, reason });
    } else {
      const optOut = change.unsubscribed === true || carried !== null;
      const kept = text(lead.columns.unsubscribed_reason);
      acknowledged.push(
        optOut && !reasonField && carried === null && kept !== null
          ? { key, optOut, reason: null, kept }
          : { key, optOut, reason: reason ?? (carried || null) },
      );
    }
  }
}

/**
 * The fields step of planChange: the columns and custom attributes the change sets, then its
 * foreign id and type.
 */
function planFields(
  plan: LeadPlan,
  lead: LeadRecord,
  change: PreparedChange,
  path: ChangePath,
  now: number,
): void {
  const { update } = plan;
  const columns: Record<string, ColumnValue> = {};
  // The person's own attributes until one of them changes, then a copy: most changes leave
  // them as they are, and copying them for every record of a batch was measured (allocations).
  let custom = lead.custom;
  for (const { field, value } of change.fields) {
    const old = field.column ? lead.columns[field.column] : lead.custom[field.name];
    if (same(old, value)) continue;
    const shown = FieldCatalogue.format(value);
    plan.activities.push(valueChange(lead, path, now, field.displayName, text(old), shown));
    if (field.column) columns[field.column] = value;
    else {
      if (custom === lead.custom) custom = { ...custom };
      if (value === null) delete custom[field.name];
      else custom[field.name] = value;
    }
  }
  if (update.unsubscribed !== undefined) columns.unsubscribed = update.unsubscribed;
  if (custom !== lead.custom) update.custom = custom;
  update.columns = columns;
  // The caller checks that no one else holds the foreign id before writing it.
  if (
    change.foreignSysPersonId !== undefined &&
    change.foreignSysPersonId !== lead.foreignSysPersonId
  ) {
    update.foreignSysPersonId = change.foreignSysPersonId;
    plan.activities.push(
      valueChange(
        lead,
        path,
        now,
        'Foreign Sys Person Id',
        lead.foreignSysPersonId,
        change.foreignSysPersonId,
      ),
    );
  }
  if (change.foreignSysType !== undefined && change.foreignSysType !== lead.foreignSysType) {
    update.foreignSysType = change.foreignSysType;
    plan.activities.push(
      valueChange(lead, path, now, 'Foreign Sys Type', lead.foreignSysType, change.foreignSysType),
    );
  }
}

/**
 * The activity of one value of `lead` that a plan changes. A function of its own rather than a
 * closure over the plan: planChange runs for every record of a batch.
 */
function valueChange(
  lead: LeadRecord,
  path: ChangePath,
  now: number,
  attributeName: string,
  oldValue: string | null,
  newValue: string | null,
  reason = path.reason,
): NewActivity {
  return {
    leadId: lead.id,
    activityType: 'Change Data Value',
    createdAt: now,
    attributeName,
    oldValue,
    newValue,
    reason,
    source: path.source,
    actor: path.actor ?? null,
  };
}

/**
 * Rule 7: a plan that changes nothing writes nothing and logs nothing (to the person: an
 * acknowledged opt-out may still be recorded in the master status).
 */
export function planIsEmpty(plan: LeadPlan): boolean {
  // Every write of a plan logs an activity (a master change comes with the flag's or address's).
  return plan.activities.length === 0 && plan.masterChanges.length === 0;
}

export function flagActivity(
  leadId: number,
  from: boolean,
  to: boolean,
  reason: string,
  source: string,
  now: number,
  actor: string | null = null,
): NewActivity {
  return {
    leadId,
    activityType: 'Change Data Value',
    createdAt: now,
    attributeName: 'Unsubscribed',
    oldValue: String(from),
    newValue: String(to),
    reason,
    source,
    actor,
  };
}

/** Rule 3's first half: the person a change creates (the caller then applies the address's status). */
export function newLeadOf(change: PreparedChange, partition: string, now: number): NewLead {
  if (change.foreignSysPersonId === undefined && !change.emailKey && change.fields.length === 0) {
    throw new AppError(
      ErrorCode.LEAD_DETAIL_REQUIRED,
      'A new lead needs an Email, a foreign id or attributes',
    );
  }
  const { columns, custom } = newLeadFields(change.fields);
  const requested = change.unsubscribed === true;
  return {
    email: change.email ?? null,
    emailKey: change.emailKey ?? null,
    partition,
    foreignSysPersonId: change.foreignSysPersonId ?? null,
    foreignSysType:
      change.foreignSysType ?? (change.foreignSysPersonId !== undefined ? 'CUSTOM' : null),
    unsubscribed: requested,
    columns: { ...columns, unsubscribed: requested },
    custom,
    now,
  };
}

export function newLeadActivity(leadId: number, path: ChangePath, now: number): NewActivity {
  return {
    leadId,
    activityType: 'New Lead',
    createdAt: now,
    reason: path.reason,
    source: path.source,
    actor: path.actor ?? null,
    extra: [
      ['Source Type', path.reason],
      ['Lead ID', String(leadId)],
      ['Created Date', new Date(now).toISOString()],
    ],
  };
}
