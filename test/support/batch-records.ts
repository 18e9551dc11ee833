/**
 * Random batches of lead records and the stored state they leave, shared by the batch tests
 * (batch-sync-one-by-one.test.ts: a batch against one by one; batch-checked.test.ts: the checked batch
 * against the locked one).
 */
import type { Database } from '../../src/data-access/database.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import { AppError } from '../../src/errors.js';

/** A small deterministic generator, so a failure can be replayed. */
export function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(xs: readonly T[]): T {
      return xs[Math.floor(next() * xs.length)]!;
    },
  };
}

export const ADDRESSES = [
  'one@example.com',
  'ONE@example.com ',
  'two@example.com',
  'three@example.com',
  'Three@Example.com',
  'four@example.com',
  // One mailbox spelled apart beyond ASCII case: NFC and NFD, upper case, quoted, a root dot.
  'zoë@example.com',
  'ZOE\u0308@EXAMPLE.COM',
  '"zoë"@example.com.',
  // And in the domain's compatibility forms, one domain as IDNA reads it: mathematical and
  // circled letters, full-width letters, an ideographic full stop.
  'one@\u{1d41e}xample.com',
  'FOUR@\u24ba\u24cdAMPLE\u3002COM',
  'zo\u00eb@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com',
];
const NAMES = ['Ann', 'Bob', 'Cy'];

export type Rand = ReturnType<typeof random>;

export function record(r: Rand, ids: readonly number[], foreignIds: readonly string[]): LeadInput {
  const attributes: Array<{ name: string; value: string | null }> = [];
  if (r.next() < 0.6) attributes.push({ name: 'Unsubscribed', value: String(r.next() < 0.5) });
  if (r.next() < 0.5) attributes.push({ name: 'FirstName', value: r.pick(NAMES) });
  // A complaint is a protected reason (PROTECTED_REASONS): its re-subscribe is refused.
  if (r.next() < 0.15)
    attributes.push({ name: 'UnsubscribedReason', value: r.pick(['asked', 'spam complaint']) });
  if (r.next() < 0.1) attributes.push({ name: 'LeadScore', value: String(r.int(100)) });
  const kind = r.int(12);
  switch (kind) {
    case 0:
    case 1:
    case 2:
      return { email: r.pick(ADDRESSES), attributes };
    case 3:
    case 4: {
      const change: LeadInput = { id: r.pick(ids), attributes };
      if (r.next() < 0.4) change.email = r.next() < 0.15 ? null : r.pick(ADDRESSES);
      return change;
    }
    case 5:
    case 6: {
      const change: LeadInput = { foreignSysPersonId: r.pick(foreignIds), attributes };
      if (r.next() < 0.5) change.email = r.pick(ADDRESSES);
      return change;
    }
    case 7:
      // Takes a foreign id some other person may hold: refused after other changes applied.
      return { id: r.pick(ids), foreignSysPersonId: r.pick(foreignIds), attributes };
    case 8:
      return { id: 987654, attributes };
    case 9:
      return { email: 'not-an-address', attributes };
    case 10:
      return { email: r.pick(ADDRESSES), attributes: [{ name: 'NoSuchField', value: '1' }] };
    default:
      return { attributes: [] };
  }
}

export async function state(db: Database) {
  const rows = (table: string, order: string, drop: string[]) =>
    db
      .knex(table)
      .select('*')
      .orderBy(order)
      .then((rs: Array<Record<string, unknown>>) =>
        rs.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !drop.includes(k)))),
      );
  return {
    // Times differ (PostgreSQL runs a batch with creates twice); everything else must not.
    leads: await rows('leads', 'id', ['created_at', 'updated_at', 'change_seq']),
    // change_seq values differ too (a batch draws them at its end); what they order must not:
    // who, at each address, a sync matched by email would change next, and after.
    latest: await db
      .knex('leads')
      .whereNotNull('email_key')
      .select('email_key', 'id')
      .orderBy([
        { column: 'email_key' },
        { column: 'change_seq', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .then((rs: Array<{ email_key: string; id: number }>) =>
        rs.map((r) => `${r.email_key}:${r.id}`),
      ),
    // lifted_at is the changed_at of the suppression lifted: a time as well.
    status: await rows('email_status', 'email_key', ['changed_at', 'lifted_at', 'recorded_at']),
    history: await rows('email_status_history', 'id', [
      'id',
      'changed_at',
      'lifted_at',
      'recorded_at',
    ]),
    // The log in either form (propagation-log.ts): the view of both.
    activities: (await rows('activity_log', 'id', ['id', 'created_at'])).map((a) => ({
      ...a,
      extra:
        typeof a.extra === 'string'
          ? (JSON.parse(a.extra) as Array<[string, string]>).filter(([k]) => k !== 'Created Date')
          : a.extra,
    })),
  };
}

export function outcome(r: unknown) {
  if (r instanceof AppError) return r.code;
  const { leadId, status } = r as { leadId: number; status: string };
  return { leadId, status };
}
