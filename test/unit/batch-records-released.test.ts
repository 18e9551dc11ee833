import { expect } from 'chai';
import type { LeadInput, SyncAnswer } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { writeHandlers } from '../../src/mktows/mktows.write-handlers.js';
import type { CallContext } from '../../src/mktows/operation-handler.js';
import { AppError, ErrorCode } from '../../src/errors.js';

/**
 * syncMultipleLeads takes its records out of the request once it has read them: while the
 * batch is written, what the request reader made of them is garbage, not data every
 * young-generation collection copies until the call answers (docs/benchmarks.md).
 */
describe('syncMultipleLeads: the request’s records released while the batch runs', () => {
  it('reads every record, then leaves none in the request', async () => {
    const leadRecord: unknown[] = [1, 2, 3].map((n) => ({
      Email: `p${n}@example.com`,
      leadAttributeList: { attribute: [{ attrName: 'FirstName', attrValue: `P${n}` }] },
    }));
    // A record naming an id the batch then fails, and one that cannot be read.
    leadRecord.push({ Id: '77' }, 'not a record');
    const args: Record<string, unknown> = { leadRecordList: { leadRecord } };
    let heldDuringBatch: unknown = 'not called';
    const seen: LeadInput[] = [];
    const leads = {
      syncMany: async (inputs: LeadInput[]): Promise<SyncAnswer[]> => {
        heldDuringBatch = (args.leadRecordList as Record<string, unknown>).leadRecord;
        seen.push(...inputs);
        return inputs.map((input, i) =>
          input.id === 77
            ? (new AppError(ErrorCode.LEAD_NOT_FOUND, 'No such lead') as unknown as SyncAnswer)
            : ({ leadId: i + 1, status: 'CREATED' } as SyncAnswer),
        );
      },
    };
    const handlers = writeHandlers({ leads } as unknown as Services, {
      maxBatchSize: 10,
      getLeadMaxResults: 10,
    });
    const ctx = {
      userId: 'u',
      permissions: { write: true, partitions: null },
    } as unknown as CallContext;
    const out = (await handlers.syncMultipleLeads(args, ctx)) as {
      result: { syncStatusList: { syncStatus: Array<{ leadId: number; status: string }> } };
    };
    expect(seen.map((i) => i.email ?? i.id)).to.deep.equal([
      'p1@example.com',
      'p2@example.com',
      'p3@example.com',
      77,
    ]);
    expect(heldDuringBatch).to.equal(undefined);
    const answers = out.result.syncStatusList.syncStatus;
    expect(answers.map((s) => [s.leadId, s.status])).to.deep.equal([
      [1, 'CREATED'],
      [2, 'CREATED'],
      [3, 'CREATED'],
      [77, 'FAILED'],
      [0, 'FAILED'],
    ]);
  });
});
