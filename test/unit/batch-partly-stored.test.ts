import { expect } from 'chai';
import { LeadBatchSync } from '../../src/domain/lead-batch.js';
import type { PreparedChange } from '../../src/domain/lead-input.js';
import type { SyncAnswer } from '../../src/domain/lead.types.js';
import type { Transactions } from '../../src/domain/ports.js';
import { AppError, ErrorCode } from '../../src/errors.js';

/**
 * A syncMultipleLeads redone one record per transaction, when the database goes away after
 * some records were stored: the answer says which were, record by record, instead of failing
 * the whole call over stored records; the records after the failure are not tried.
 */
describe('a batch redone one record per transaction, the database gone half-way', () => {
  it('answers the stored records as stored and the others as failed, trying no more', async () => {
    const tried: number[] = [];
    // Each unit runs its work, and commits when it resolves; the batch as one cannot be held
    // here (its scope has no openBatch), so each record goes alone.
    const transactions = {
      guardedSteps: false,
      write: <T>(work: (scope: never) => Promise<T>): Promise<T> => work(undefined as never),
    } as unknown as Transactions;
    const records = [1, 2, 3, 4].map((n) => ({ n }) as unknown as PreparedChange);
    const answers = await new LeadBatchSync(transactions, undefined).syncMany(
      records,
      async (_repos, change) => {
        const n = (change as unknown as { n: number }).n;
        tried.push(n);
        if (n === 2) throw new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable');
        return { leadId: n, status: 'CREATED' } as SyncAnswer;
      },
    );
    expect(answers[0]).to.deep.include({ leadId: 1, status: 'CREATED' });
    expect(answers.slice(1).map((a) => (a as AppError).code)).to.deep.equal([
      ErrorCode.DATABASE_UNAVAILABLE,
      ErrorCode.DATABASE_UNAVAILABLE,
      ErrorCode.DATABASE_UNAVAILABLE,
    ]);
    // The records after the one the database failed were not tried.
    expect(tried).to.deep.equal([1, 2]);
  });
});
