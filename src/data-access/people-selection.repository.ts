import type { Knex } from 'knex';
import { INLINE } from './inline-limit.js';
import { fromRow as toLeadRecord } from './lead-row.js';
import type {
  AddressReadings,
  LeadRecord,
  PeopleCriteria,
  SelectionCounts,
} from '../domain/records.js';

type Row = Record<string, unknown>;

/** `%text%` for LIKE, with LIKE's own characters taken literally (ESCAPE '\'). */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Rows whose `column` (an email key) holds an "address contains" text: as it is, or as one of
 * its other readings (the domain's addressReadings), each one LIKE.
 */
export function whereAddressContains(
  q: Knex.QueryBuilder,
  column: string,
  text: string,
  readings: AddressReadings | undefined,
): Knex.QueryBuilder {
  const like = `${column} LIKE ? ESCAPE '\\'`;
  return q.where((w) => {
    w.whereRaw(like, [likePattern(text)]);
    if (readings?.anywhere) w.orWhereRaw(like, [likePattern(readings.anywhere)]);
    // After the key's '@': '%@' then '%text%'.
    if (readings?.inDomain) w.orWhereRaw(like, [`%@${likePattern(readings.inDomain)}`]);
  });
}

/** likePattern of the text lower-cased, for a column compared through lower(). */
export function containsPattern(text: string): string {
  return likePattern(text.toLowerCase());
}

/** Reads for the console: the people a selection picks, and the people holding one address. */
export class PeopleSelectionRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  private selected(c: PeopleCriteria, alias = 'leads'): Knex.QueryBuilder {
    const col = (name: string) => `${alias}.${name}`;
    let q = this.db(alias === 'leads' ? 'leads' : `leads as ${alias}`);
    // The domain folds the text as the keys are (foldEmailText): compared as it comes.
    if (c.emailContains)
      q = whereAddressContains(q, col('email_key'), c.emailContains, c.emailReadings);
    if (c.partition) q = q.where(col('partition'), c.partition);
    if (c.createdFrom !== undefined) q = q.where(col('created_at'), '>=', c.createdFrom);
    if (c.createdTo !== undefined) q = q.where(col('created_at'), '<=', c.createdTo);
    if (c.updatedFrom !== undefined) q = q.where(col('updated_at'), '>=', c.updatedFrom);
    if (c.updatedTo !== undefined) q = q.where(col('updated_at'), '<=', c.updatedTo);
    if (c.unsubscribed !== undefined) q = q.where(col('unsubscribed'), c.unsubscribed);
    if (c.ids || c.emailKeys) {
      const ids = c.ids ?? [];
      const keys = c.emailKeys ?? [];
      q = q.where((w) => {
        w.whereIn(col('id'), ids.length > 0 ? ids : [0]);
        if (keys.length > 0) w.orWhereIn(col('email_key'), keys);
      });
    }
    return q;
  }

  /** The selection's people in id order, after `afterId`, at most `limit`. */
  async page(c: PeopleCriteria, afterId: number, limit: number): Promise<LeadRecord[]> {
    const rows = (await this.selected(c)
      .select('*')
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit, INLINE)) as Row[];
    return rows.map(toLeadRecord);
  }

  /** Just the ids, in order, for cutting a job into batches. */
  async ids(c: PeopleCriteria, afterId: number, limit: number): Promise<number[]> {
    const rows = (await this.selected(c)
      .select('id')
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit, INLINE)) as Row[];
    return rows.map((r) => Number(r.id));
  }

  async counts(c: PeopleCriteria): Promise<SelectionCounts> {
    const [own] = (await this.selected(c)
      .count({ people: '*' })
      .countDistinct({ addresses: 'email_key', partitions: 'partition' })) as Row[];
    const keys = this.selected(c, 's').whereNotNull('s.email_key').select('s.email_key');
    const ids = this.selected(c, 't').select('t.id');
    const [followers] = (await this.db('leads as f')
      .whereIn('f.email_key', keys)
      .whereNotIn('f.id', ids)
      .count({ people: '*' })
      .countDistinct({ partitions: 'f.partition' })) as Row[];
    return {
      people: Number(own?.people ?? 0),
      addresses: Number(own?.addresses ?? 0),
      partitions: Number(own?.partitions ?? 0),
      followers: Number(followers?.people ?? 0),
      followerPartitions: Number(followers?.partitions ?? 0),
    };
  }

  /** Unsubscribed addresses of the selection whose reason is one of `reasons` (lower case). */
  async protectedAddresses(c: PeopleCriteria, reasons: readonly string[]): Promise<number> {
    if (reasons.length === 0) return 0;
    const keys = this.selected(c, 's').whereNotNull('s.email_key').select('s.email_key');
    const [row] = (await this.db('email_status')
      .whereIn('email_key', keys)
      .where('unsubscribed', true)
      // A superset of the whole-word match the domain applies: asking an operator to confirm
      // once too often is safe, never asking when it should is not.
      .where((q) => {
        for (const r of reasons) q.orWhereRaw('lower(reason) LIKE ?', [`%${r.toLowerCase()}%`]);
      })
      .count({ n: '*' })) as Row[];
    return Number(row?.n ?? 0);
  }

  /**
   * Unsubscribed people of the selection without an address whose own reason is one of
   * `reasons` (lower case): no master status holds their opt-out, their reason does.
   */
  async protectedWithoutAddress(c: PeopleCriteria, reasons: readonly string[]): Promise<number> {
    if (reasons.length === 0) return 0;
    const [row] = (await this.selected(c)
      .whereNull('email_key')
      .where('unsubscribed', true)
      // The same superset of the domain's whole-word match as protectedAddresses.
      .where((q) => {
        for (const r of reasons)
          q.orWhereRaw('lower(unsubscribed_reason) LIKE ?', [`%${r.toLowerCase()}%`]);
      })
      .count({ n: '*' })) as Row[];
    return Number(row?.n ?? 0);
  }

  async unownedAddressesWith(
    c: PeopleCriteria,
    letters: readonly string[],
    limit: number,
  ): Promise<string[]> {
    if (letters.length === 0) return [];
    const rows = (await this.selected(c, 's')
      .whereNotNull('s.email_key')
      .where((q) => {
        for (const l of letters) q.orWhere('s.email_key', 'like', `%${l}%`);
      })
      .whereNotExists((q) =>
        q.select(this.db.raw('1')).from('email_status as e').whereRaw('e.email_key = s.email_key'),
      )
      .distinct('s.email_key')
      .orderBy('s.email_key')
      .limit(limit)) as Row[];
    return rows.map((r) => String(r.email_key));
  }

  /** People holding an address, in id order, a page at a time. */
  async holders(emailKey: string, afterId: number, limit: number): Promise<LeadRecord[]> {
    return this.page({ emailKeys: [emailKey], ids: [] }, afterId, limit);
  }

  /** How many people hold an address, in how many partitions. */
  async holderCounts(
    emailKey: string,
    exceptId: number | null = null,
  ): Promise<{ people: number; partitions: number }> {
    let q = this.db('leads').where('email_key', emailKey);
    if (exceptId !== null) q = q.whereNot('id', exceptId);
    const [row] = (await q
      .count({ people: '*' })
      .countDistinct({ partitions: 'partition' })) as Row[];
    return { people: Number(row?.people ?? 0), partitions: Number(row?.partitions ?? 0) };
  }
}
