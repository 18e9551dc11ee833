import type { ColumnValue, LeadRecord, LeadUpdate, NewLead } from '../domain/records.js';

/**
 * The one mapping between a lead record and its row in `leads`: the SQL repository reads with
 * fromRow and writes with newLeadRow/updateRow; the batch creates and changes people in memory
 * with newLeadRecord and applyUpdate (what newLeadRow and updateRow make the database do) and
 * flushes with toRow/changedColumns.
 */

export type Row = Record<string, unknown>;

/** Columns a LeadRecord carries as fields of its own rather than in `columns`. */
export const OWN_COLUMNS: ReadonlySet<string> = new Set([
  'id',
  'email',
  'email_key',
  'partition',
  'foreign_sys_person_id',
  'foreign_sys_type',
  'unsubscribed',
  'custom_attributes',
  'created_at',
  'updated_at',
  'change_seq',
]);

// SQLite hands booleans back as 0/1.
const BOOLEAN_COLUMNS = new Set(['do_not_call', 'email_invalid', 'unsubscribed']);

export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}

/** A stored value of one of the `columns` of a lead (SQLite's 0/1 read as booleans). */
function cell(k: string, v: unknown): ColumnValue {
  return v === null || v === undefined
    ? null
    : BOOLEAN_COLUMNS.has(k)
      ? toBool(v)
      : (v as ColumnValue);
}

/** The record of a row whose own columns are in `own` and the others already in `columns`. */
function leadRecord(own: Row, columns: Record<string, ColumnValue>): LeadRecord {
  columns.unsubscribed = toBool(own.unsubscribed);
  return {
    id: Number(own.id),
    email: (own.email as string | null) ?? null,
    emailKey: (own.email_key as string | null) ?? null,
    partition: own.partition as string,
    foreignSysPersonId: (own.foreign_sys_person_id as string | null) ?? null,
    foreignSysType: (own.foreign_sys_type as string | null) ?? null,
    unsubscribed: toBool(own.unsubscribed),
    columns,
    custom: JSON.parse((own.custom_attributes as string) || '{}') as Record<string, ColumnValue>,
    createdAt: Number(own.created_at),
    updatedAt: Number(own.updated_at),
    changeSeq: Number(own.change_seq ?? 0),
  };
}

export function fromRow(row: Row): LeadRecord {
  const columns: Record<string, ColumnValue> = {};
  // for…in rather than Object.entries: this runs for every row read, and entries allocates.
  for (const k in row) if (!OWN_COLUMNS.has(k)) columns[k] = cell(k, row[k]);
  return leadRecord(row, columns);
}

/**
 * fromRow for a row given as its column names and values in the same order (a RowSet of
 * sql/pg-rows.ts, a batch's people read as JSON arrays): the same record, without building the
 * whole row's object first.
 */
export function fromValues(names: readonly string[], values: readonly unknown[]): LeadRecord {
  return decoderOf(names)(values);
}

type Decoder = (values: readonly unknown[]) => LeadRecord;

/** Decoders made once per list of names (the few lists a caller reads, up to 64 kept). */
const decoders = new Map<string, Decoder>();

/** The decoder of rows of `names` (fromValues): made once per list, then reused. */
export function decoderOf(names: readonly string[]): Decoder {
  const key = names.join('\0');
  const known = decoders.get(key);
  if (known) return known;
  // Past the bound (a caller varying the attributes a batch touches): no function made per
  // call, which would cost more than it saves; the one-at-a-time decoder instead.
  if (decoders.size >= 64) return (values) => decodeValues(names, values);
  const decode = compileDecoder(names) ?? ((values) => decodeValues(names, values));
  decoders.set(key, decode);
  return decode;
}

/**
 * fromValues as one function of the values made for a list of names: the record and its
 * `columns` as object literals (V8 builds each with its layout known, where adding the columns
 * one by one looked every name up in two sets and grew a dictionary), the same values in the
 * same order as decodeValues gives. Names repeated or "__proto__" (no lead column is either):
 * null, decodeValues decides.
 */
function compileDecoder(names: readonly string[]): Decoder | null {
  if (new Set(names).size !== names.length || names.includes('__proto__')) return null;
  const at = (k: string) => (names.includes(k) ? `v[${names.indexOf(k)}]` : 'undefined');
  const columns = names.flatMap((k, i) =>
    OWN_COLUMNS.has(k)
      ? []
      : [
          `${JSON.stringify(k)}: ${
            BOOLEAN_COLUMNS.has(k)
              ? `v[${i}] === null || v[${i}] === undefined ? null : toBool(v[${i}])`
              : `v[${i}] ?? null`
          }`,
        ],
  );
  columns.push(`unsubscribed: toBool(${at('unsubscribed')})`);
  const body = `return function (v) {
    const columns = { ${columns.join(', ')} };
    return {
      id: Number(${at('id')}),
      email: ${at('email')} ?? null,
      emailKey: ${at('email_key')} ?? null,
      partition: ${at('partition')},
      foreignSysPersonId: ${at('foreign_sys_person_id')} ?? null,
      foreignSysType: ${at('foreign_sys_type')} ?? null,
      unsubscribed: toBool(${at('unsubscribed')}),
      columns,
      custom: JSON.parse(${at('custom_attributes')} || '{}'),
      createdAt: Number(${at('created_at')}),
      updatedAt: Number(${at('updated_at')}),
      changeSeq: Number(${at('change_seq')} ?? 0),
    };
  };`;
  return (new Function('toBool', body) as (b: typeof toBool) => Decoder)(toBool);
}

/** fromValues one name at a time (names a compiled decoder does not take). */
export function decodeValues(names: readonly string[], values: readonly unknown[]): LeadRecord {
  const own: Row = {};
  const columns: Record<string, ColumnValue> = {};
  for (let i = 0; i < names.length; i++) {
    const k = names[i]!;
    if (OWN_COLUMNS.has(k)) own[k] = values[i];
    else columns[k] = cell(k, values[i]);
  }
  return leadRecord(own, columns);
}

/** Column `c` of a lead's row. */
export function columnValue(l: LeadRecord, c: string): unknown {
  switch (c) {
    case 'id':
      return l.id;
    case 'email':
      return l.email;
    case 'email_key':
      return l.emailKey;
    case 'partition':
      return l.partition;
    case 'foreign_sys_person_id':
      return l.foreignSysPersonId;
    case 'foreign_sys_type':
      return l.foreignSysType;
    case 'unsubscribed':
      return l.unsubscribed;
    case 'custom_attributes':
      return JSON.stringify(l.custom);
    case 'created_at':
      return l.createdAt;
    case 'updated_at':
      return l.updatedAt;
    case 'change_seq':
      return l.changeSeq;
    default:
      return l.columns[c];
  }
}

/** The whole row of a lead (id and change_seq only when the record has them). */
export function toRow(l: Omit<LeadRecord, 'id' | 'changeSeq'> & Partial<LeadRecord>): Row {
  const row: Row = { ...l.columns };
  if (l.id !== undefined) row.id = l.id;
  row.email = l.email;
  row.email_key = l.emailKey;
  row.partition = l.partition;
  row.foreign_sys_person_id = l.foreignSysPersonId;
  row.foreign_sys_type = l.foreignSysType;
  row.unsubscribed = l.unsubscribed;
  row.custom_attributes = JSON.stringify(l.custom);
  row.created_at = l.createdAt;
  row.updated_at = l.updatedAt;
  if (l.changeSeq !== undefined) row.change_seq = l.changeSeq;
  return row;
}

/** The row of a new lead, without its id and change_seq (the database gives those). */
export function newLeadRow(lead: NewLead): Row {
  return toRow({ ...lead, createdAt: lead.now, updatedAt: lead.now });
}

/**
 * The record of a new lead as a batch keeps it in memory (newLeadRow's counterpart, as
 * applyUpdate is updateRow's): its columns as given, with `unsubscribed`, and its attributes as
 * the database gives back their JSON text. Its id and change_seq are the caller's.
 */
export function newLeadRecord(lead: NewLead, id: number, changeSeq: number): LeadRecord {
  return {
    id,
    email: lead.email,
    emailKey: lead.emailKey,
    partition: lead.partition,
    foreignSysPersonId: lead.foreignSysPersonId,
    foreignSysType: lead.foreignSysType,
    unsubscribed: lead.unsubscribed,
    columns: { ...lead.columns, unsubscribed: lead.unsubscribed },
    custom: storedCustom(lead.custom),
    createdAt: lead.now,
    updatedAt: lead.now,
    changeSeq,
  };
}

/** Custom attributes as the database gives them back: the JSON text written, parsed. */
function storedCustom(custom: Record<string, ColumnValue>): LeadRecord['custom'] {
  return JSON.parse(JSON.stringify(custom)) as LeadRecord['custom'];
}

/** The columns an update writes, but change_seq (the database's next value). */
export function updateRow(change: LeadUpdate, now: number): Row {
  const values: Row = { ...(change.columns ?? {}), updated_at: now };
  if (change.email !== undefined) values.email = change.email;
  if (change.emailKey !== undefined) values.email_key = change.emailKey;
  if (change.foreignSysPersonId !== undefined)
    values.foreign_sys_person_id = change.foreignSysPersonId;
  if (change.foreignSysType !== undefined) values.foreign_sys_type = change.foreignSysType;
  if (change.unsubscribed !== undefined) values.unsubscribed = change.unsubscribed;
  if (change.custom !== undefined) values.custom_attributes = JSON.stringify(change.custom);
  return values;
}

/**
 * The record updateRow's statement would read back (fromRow of the updated row), but
 * change_seq, which the caller gives. A new record: `current` is never mutated.
 */
export function applyUpdate(current: LeadRecord, change: LeadUpdate, now: number): LeadRecord {
  const next: LeadRecord = { ...current, columns: { ...current.columns }, custom: current.custom };
  // As updateRow: a column left undefined is not written, so it keeps its value.
  const columns = change.columns;
  if (columns)
    for (const c in columns) {
      const value = columns[c];
      if (value !== undefined) next.columns[c] = value;
    }
  // One column in the table: updateRow writes `unsubscribed` after the columns, so it wins
  // over a value among them.
  let flag: unknown = current.unsubscribed;
  if (change.columns && 'unsubscribed' in change.columns) flag = change.columns.unsubscribed;
  if (change.unsubscribed !== undefined) flag = change.unsubscribed;
  next.unsubscribed = toBool(flag);
  next.columns.unsubscribed = next.unsubscribed;
  if (change.email !== undefined) next.email = change.email;
  if (change.emailKey !== undefined) next.emailKey = change.emailKey;
  if (change.foreignSysPersonId !== undefined) next.foreignSysPersonId = change.foreignSysPersonId;
  if (change.foreignSysType !== undefined) next.foreignSysType = change.foreignSysType;
  // What the database gives back: the JSON text, parsed. Unchanged, the same object: records
  // are never mutated (planChange copies before it changes one), and changedColumns then
  // knows without comparing their JSON that the attributes did not change.
  next.custom = change.custom !== undefined ? storedCustom(change.custom) : current.custom;
  next.updatedAt = now;
  return next;
}

/**
 * The record of the row an update of the locked `current` left (what fromRow would read of it):
 * applyUpdate's, with the change_seq the UPDATE gave back (a bigint: text on PostgreSQL).
 */
export function updatedRecord(
  current: LeadRecord,
  change: LeadUpdate,
  now: number,
  changeSeq: unknown,
): LeadRecord {
  const next = applyUpdate(current, change, now);
  next.changeSeq = Number(changeSeq);
  return next;
}

/** Adds to `into` the columns (as toRow names them) whose values differ between was and now. */
export function changedColumns(was: LeadRecord, now: LeadRecord, into: Set<string>): void {
  if (was.email !== now.email) into.add('email');
  if (was.emailKey !== now.emailKey) into.add('email_key');
  if (was.partition !== now.partition) into.add('partition');
  if (was.foreignSysPersonId !== now.foreignSysPersonId) into.add('foreign_sys_person_id');
  if (was.foreignSysType !== now.foreignSysType) into.add('foreign_sys_type');
  if (was.unsubscribed !== now.unsubscribed) into.add('unsubscribed');
  if (was.changeSeq !== now.changeSeq) into.add('change_seq');
  for (const c in now.columns) {
    if (OWN_COLUMNS.has(c)) continue; // toRow writes these from the record's own fields
    if (was.columns[c] !== now.columns[c]) into.add(c);
  }
  if (was.custom !== now.custom && JSON.stringify(was.custom) !== JSON.stringify(now.custom))
    into.add('custom_attributes');
}
