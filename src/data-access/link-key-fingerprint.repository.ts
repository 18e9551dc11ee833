import type { Knex } from 'knex';
import type { LinkKeyFingerprintStore, RecordedLinkKey } from '../domain/ports.js';

const TABLE = 'link_key_fingerprints';

/** The fingerprints of the unsubscribe-link keys that have issued links (no secret is stored). */
export class LinkKeyFingerprintRepository implements LinkKeyFingerprintStore {
  constructor(private readonly db: Knex) {}

  async settle(
    decide: (recorded: readonly RecordedLinkKey[]) => Promise<RecordedLinkKey | null>,
  ): Promise<void> {
    await this.db.transaction(async (trx) => {
      // The write lock before the read: a second start waits, then reads what the first recorded.
      if ((this.db.client as { dialect?: string }).dialect === 'postgresql')
        await trx.raw(`LOCK TABLE ${TABLE} IN SHARE ROW EXCLUSIVE MODE`);
      else await trx(TABLE).whereRaw('0 = 1').delete();
      const rows = (await trx(TABLE)
        .select('fingerprint', 'key_id')
        .orderBy('recorded_at')) as Array<{
        fingerprint: string;
        key_id: string;
      }>;
      const add = await decide(rows.map((r) => ({ fingerprint: r.fingerprint, keyId: r.key_id })));
      if (add)
        await trx(TABLE)
          .insert({ fingerprint: add.fingerprint, key_id: add.keyId, recorded_at: Date.now() })
          .onConflict('fingerprint')
          .ignore();
    });
  }
}
