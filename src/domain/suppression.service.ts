import crypto from 'node:crypto';
import type { EmailStatusRecord, StatusCursor, StatusFilter } from './records.js';
import type { TransactionScope, Transactions } from './ports.js';
import { ChangePaths } from './change-paths.js';
import type { DurableStatusService } from './durable-status.service.js';
import { foldedContains } from './email-key.js';
import {
  keptFilter,
  keptSpellingsCount,
  keptSpellingsPage,
  newestFirst,
  spellingsOf,
} from './kept-opt-outs.js';
import { SeenAddresses } from './seen-addresses.js';
import { masterStatus } from './master-status.js';
import {
  importEntry,
  notOneAddress,
  rejectedAddress,
  type ImportEntry,
  type SuppressionReject,
  type SuppressionRow,
} from './suppression-rows.js';

export { LIST_DATE, type SuppressionReject, type SuppressionRow } from './suppression-rows.js';

export interface ImportCounts {
  rows: number;
  /** Addresses whose master status became unsubscribed. */
  suppressed: number;
  /** Addresses that were unsubscribed already (a second run finds only these). */
  alreadySuppressed: number;
  /** People who followed their address's new status. */
  peopleUnsubscribed: number;
  rejected: number;
}

/** An import's counts before its first row. */
export const noImportCounts = (): ImportCounts => ({
  rows: 0,
  suppressed: 0,
  alreadySuppressed: 0,
  peopleUnsubscribed: 0,
  rejected: 0,
});

/** Rows counted for the console's list: beyond it the page says "10,000 or more". */
export const LIST_COUNT_CAP = 10000;

export interface SuppressionListPage {
  rows: EmailStatusRecord[];
  /** Rows the filter keeps, counted up to LIST_COUNT_CAP. */
  total: number;
  /** Where the next page starts, when there is one. */
  next: StatusCursor | null;
}

const BATCH = 500;
/** Kept opt-outs read at a time by the exports. */
const KEPT_PAGE = 500;

/** 48 bits of a key's hash: enough to spot repeats in a file of millions without keeping the keys. */
function fingerprint(key: string): number {
  return crypto.createHash('sha256').update(key).digest().readUIntBE(0, 6);
}

/**
 * Loads external unsubscribe lists into the master email status, even for addresses no person
 * holds yet; people who do hold them follow by the normal rules. Idempotent: an address already
 * unsubscribed is left as it is, with no new history.
 */
export class SuppressionService {
  constructor(
    private readonly transactions: Transactions,
    private readonly durable: DurableStatusService,
    private readonly now: () => number = Date.now,
  ) {}

  async import(
    rows: AsyncIterable<SuppressionRow>,
    options: {
      dryRun?: boolean;
      actor?: string;
      onReject?: (r: SuppressionReject) => void;
      onProgress?: (c: ImportCounts) => void;
      /** Distinct addresses remembered to reject repeats (SeenAddresses; 2,000,000). */
      rememberedAddresses?: number;
    } = {},
  ): Promise<ImportCounts> {
    const counts = noImportCounts();
    const seen = new SeenAddresses(options.rememberedAddresses);
    // Past what `seen` remembers, a repeat within one batch is still caught: one write must
    // not hold an address twice.
    const inBatch = new Set<string>();
    const reject = (r: SuppressionReject) => {
      counts.rejected++;
      options.onReject?.({ ...r, email: rejectedAddress(r.email) });
    };
    let batch: ImportEntry[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await this.apply(batch, counts, options.dryRun === true, options.actor);
      batch = [];
      inBatch.clear();
      options.onProgress?.(counts);
    };
    const reading = rows[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<SuppressionRow>;
      try {
        next = await reading.next();
      } catch (error) {
        // The file became unreadable (a broken quote, an endless line): the rows read before
        // it are real opt-outs the operator was told stay imported, so they are written first.
        await flush();
        throw error;
      }
      if (next.done) break;
      const row = next.value;
      counts.rows++;
      const entry = importEntry(row, this.now, options.actor, (r) => this.durable.protectedWord(r));
      if (typeof entry === 'string') {
        reject({ line: row.line, email: row.email, why: entry });
        continue;
      }
      const { key, reason } = entry;
      // Such a line suppressed a key nobody holds, counted as suppressed, while the address it
      // names stayed subscribed: an opt-out lost, never shown. Taken only where the spelling
      // is held (a person or a status: an export read back, a restore's replay).
      if (entry.wrapped !== undefined && !(await this.spellingHeld(key))) {
        reject({ line: row.line, email: row.email, why: notOneAddress(entry.wrapped) });
        continue;
      }
      // Only a line that is imported makes a later one a repeat: a first line rejected for
      // its date left the address out, and its corrected repeat was rejected as a duplicate.
      const repeat = seen.add(fingerprint(key)) || inBatch.has(key);
      // A repeat with a protected reason (a complaint listed after a plain opt-out of the same
      // address) is imported all the same: rejected, it left the address an opt-out any
      // re-subscribe lifts. The status records it if the earlier line's reason lacked it.
      if (repeat && !this.durable.isProtected(reason)) {
        reject({ line: row.line, email: row.email, why: 'duplicate of an earlier line' });
        continue;
      }
      if (repeat && options.dryRun) {
        // Written, it would find the address unsubscribed by the earlier line.
        counts.alreadySuppressed++;
        continue;
      }
      // One write never holds an address twice: the earlier line's goes first.
      if (inBatch.has(key)) await flush();
      inBatch.add(key);
      batch.push(entry);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    return counts;
  }

  /** Whether a person or a master status holds `key` (masterStatus: a kept opt-out too). */
  private spellingHeld(key: string): Promise<boolean> {
    return this.transactions.read(
      async (repos) =>
        (await masterStatus(repos.emailStatus, key)) !== null ||
        (await repos.leads.findByEmailKey(key, false, 1)).length > 0,
    );
  }

  private async apply(
    batch: ImportEntry[],
    counts: ImportCounts,
    dryRun: boolean,
    actor?: string,
  ): Promise<void> {
    const keys = batch.map((b) => b.key);
    const path = ChangePaths.suppressionImport(actor);
    const write = async (repos: TransactionScope) => {
      // Stamped inside the transaction, as every path records its statuses: an export that
      // waited for the transactions in flight has every status stamped before it started.
      const recordedAt = this.now();
      await repos.lockEmailKeys(keys);
      return this.durable.suppressAddresses(repos, batch, path, {
        recordedAt,
        now: this.now(),
        dryRun,
      });
    };
    const r = dryRun ? await this.transactions.read(write) : await this.transactions.write(write);
    counts.suppressed += r.suppressed;
    counts.alreadySuppressed += r.already;
    counts.peopleUnsubscribed += r.people;
  }

  /**
   * The master status as rows, recorded at or after `since`, in key order, a page at a time;
   * then the spellings the opt-outs kept under joined keys stand for (kept-opt-outs.ts: an
   * ESP given the export suppresses each), in joined-key order, those listed at or after
   * `since`. Every status recorded before the export started is in it (or in the master
   * status no more): a status is stamped inside its transaction, and the export first waits
   * for the write transactions in flight to end. So `since` = when the last export started
   * misses nothing, even a status stamped before then and committed after.
   */
  async *export(since = 0): AsyncGenerator<EmailStatusRecord> {
    await this.transactions.settleWrites();
    let after: string | null = null;
    for (;;) {
      const page = await this.transactions.read((repos) =>
        repos.emailStatus.listChangedSince(since, after, 1000),
      );
      yield* page;
      if (page.length < 1000) break;
      after = page[page.length - 1]!.emailKey;
    }
    yield* this.keptSpellings({}, since);
  }

  /**
   * The spellings kept opt-outs stand for that `filter` keeps, a page of kept opt-outs at a
   * time in joined-key order (with `since`, those listed at or after it).
   */
  private async *keptSpellings(
    filter: StatusFilter,
    since?: number,
  ): AsyncGenerator<EmailStatusRecord> {
    const kept = keptFilter(filter);
    for (let after: string | null = null; ;) {
      const [page, spellings] = await this.transactions.read(async (repos) => {
        const rows = await repos.emailStatus.keptByKey(kept, after, KEPT_PAGE, since);
        return [rows, await spellingsOf(repos.emailStatus, rows, filter)] as const;
      });
      yield* spellings;
      const last = page[page.length - 1];
      if (page.length < KEPT_PAGE || !last) return;
      after = last.emailKey;
    }
  }

  /**
   * The console's list: filtered, newest first, a page at a time, with a (capped) count. An
   * opt-out kept under a joined key is listed under each spelling it stands for.
   */
  async list(
    filter: StatusFilter,
    after: StatusCursor | null,
    limit: number,
  ): Promise<SuppressionListPage> {
    return this.transactions.read(async (repos) => {
      const folded = foldedContains(filter);
      const own = await repos.emailStatus.list(folded, after, limit + 1);
      // A kept opt-out older than the last own row read comes after the page: not read.
      const floor = own.length > limit ? own[limit]!.changedAt : undefined;
      const keptOf =
        floor === undefined
          ? folded
          : { ...folded, changedFrom: Math.max(folded.changedFrom ?? floor, floor) };
      const kept = await keptSpellingsPage(repos.emailStatus, keptOf, after, limit + 1);
      const rows = [...own, ...kept].sort(newestFirst);
      const shown = rows.slice(0, limit);
      const last = shown[shown.length - 1];
      const ownCount = await repos.emailStatus.count(folded, LIST_COUNT_CAP);
      return {
        rows: shown,
        total:
          ownCount +
          (await keptSpellingsCount(repos.emailStatus, folded, LIST_COUNT_CAP - ownCount)),
        next:
          rows.length > limit && last
            ? { changedAt: last.changedAt, emailKey: last.emailKey }
            : null,
      };
    });
  }

  /**
   * Every row of the console's filtered list, in key order (as the command line's export), a
   * page at a time; then the spellings kept opt-outs stand for, in joined-key order. Paged by
   * key, not by date as the list is shown: a status changed while the export runs moves in
   * date order, and was then skipped (moved before the pages read) or written twice (moved
   * after them).
   */
  async *exportFiltered(search: StatusFilter, pageSize = 1000): AsyncGenerator<EmailStatusRecord> {
    const filter = foldedContains(search);
    let after: string | null = null;
    for (;;) {
      const page: EmailStatusRecord[] = await this.transactions.read((repos) =>
        repos.emailStatus.listByKey(filter, after, pageSize),
      );
      yield* page;
      const last = page[page.length - 1];
      if (page.length < pageSize || !last) break;
      after = last.emailKey;
    }
    yield* this.keptSpellings(filter);
  }
}
