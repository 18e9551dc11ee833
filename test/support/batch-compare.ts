import { expect } from 'chai';
import sinon from 'sinon';
import type { LeadInput } from '../../src/domain/lead.types.js';
import { LeadBatchSync } from '../../src/domain/lead-batch.js';
import type { SyncContext } from '../../src/domain/lead.service.js';
import type { Services } from '../../src/domain/services.js';
import { AppError } from '../../src/errors.js';
import { ADDRESSES, outcome, random, record, state } from './batch-records.js';
import { expectNoViolations, web, type Harness } from './harness.js';

/**
 * syncMany against its reference: the same records synced one by one, on a second database
 * seeded the same way. Both must answer the same and be left identical.
 */

/** The people both databases start from: the ids made and the foreign ids the records use. */
export interface Seeded {
  ids: number[];
  foreignIds: string[];
}

/**
 * People on every test address in two partitions, three by foreign id on one address, one with
 * no address (unsubscribed) and the first unsubscribed for a complaint.
 */
export async function seed(s: Services): Promise<Seeded> {
  const ids: number[] = [];
  const foreignIds = ['fid-1', 'fid-2', 'fid-3', 'fid-new-1', 'fid-new-2'];
  const seedCtx = { path: web, matchByEmail: false };
  for (const [i, email] of ADDRESSES.entries()) {
    ids.push(
      (await s.leads.sync({ email, attributes: [] }, { ...seedCtx, partition: `P${i % 2}` }))
        .leadId,
    );
  }
  for (const fid of foreignIds.slice(0, 3))
    ids.push(
      (await s.leads.sync({ foreignSysPersonId: fid, email: 'two@example.com' }, seedCtx)).leadId,
    );
  ids.push(
    (
      await s.leads.sync(
        {
          attributes: [
            { name: 'Unsubscribed', value: 'true' },
            { name: 'FirstName', value: 'NoAddr' },
          ],
        },
        seedCtx,
      )
    ).leadId,
  );
  await s.leads.sync(
    {
      id: ids[0]!,
      attributes: [
        { name: 'Unsubscribed', value: 'true' },
        { name: 'UnsubscribedReason', value: 'complaint' },
      ],
    },
    { path: web },
  );
  return { ids, foreignIds };
}

/** `batches` random batches (from `seedNumber`) through syncMany, and one by one. */
export async function compareRandom(
  batched: Harness,
  reference: Harness,
  seedNumber: number,
  batches: number,
  ctx: Partial<SyncContext>,
) {
  const r = random(seedNumber);
  await compareBatches(batched, reference, ctx, (a) =>
    Array.from({ length: batches }, () =>
      Array.from({ length: 1 + r.int(25) }, () => record(r, a.ids, a.foreignIds)),
    ),
  );
}

/** Each batch of `batchesOf` through syncMany, and one by one: the same answers and state. */
export async function compareBatches(
  batched: Harness,
  reference: Harness,
  ctx: Partial<SyncContext>,
  batchesOf: (seeded: Seeded) => LeadInput[][],
) {
  const a = await seed(batched.services);
  const b = await seed(reference.services);
  expect(a).to.deep.equal(b);
  const fallback = sinon.spy(
    LeadBatchSync.prototype as unknown as { syncEach: () => unknown },
    'syncEach',
  );
  for (const [n, records] of batchesOf(a).entries()) {
    const context: SyncContext = { path: web, ...ctx };
    const got = await batched.services.leads.syncMany(records, context);
    const want: unknown[] = [];
    for (const rec of records) {
      try {
        want.push(await reference.services.leads.sync(rec, context));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        want.push(error);
      }
    }
    // A batch answers ids and statuses (what syncMultipleLeads sends back), nothing more.
    expect(got.map(outcome), `batch ${n} answers`).to.deep.equal(want.map(outcome));
    for (const g of got) if (!(g instanceof AppError)) expect(g).to.have.keys('leadId', 'status');
    expect(await state(batched.db), `batch ${n} state`).to.deep.equal(await state(reference.db));
  }
  expect(fallback.called, 'the batch fell back to one transaction per record').to.equal(false);
  await expectNoViolations(batched.services);
}
