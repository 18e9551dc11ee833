import { expect } from 'chai';
import { ChangePaths, PROPAGATED_REASON, RESET_REASON } from '../../src/domain/change-paths.js';
import type { SyncAnswer } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { AppError, ErrorCode } from '../../src/errors.js';
import { testEngines } from '../support/database.js';
import {
  activitiesOf,
  attr,
  createLead,
  expectAppError,
  flags,
  setFlag,
  snapshot,
  web,
  harnessPerSuite,
  type Harness,
} from '../support/harness.js';

const unsubscribe = { attributes: [{ name: 'Unsubscribed', value: 'true' }] };

for (const engine of testEngines()) {
  describe(`bulkApply and syncMany (${engine.name})`, () => {
    let h: Harness;
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      h = opened;
      s = opened.services;
    });

    const status = async (address: string) => (await s.durableStatus.explain(address)).status;
    const history = async (address: string) => (await s.durableStatus.explain(address)).history;

    it('bulkApply unsubscribes several leads with shared addresses, each address once', async () => {
      const l1 = await createLead(s, 'bulk-1@example.com');
      const l2 = await createLead(s, 'BULK-1@example.com', { partition: 'East' });
      const l3 = await createLead(s, 'bulk-2@example.com');
      const l4 = await createLead(s, 'bulk-3@example.com');
      const l5 = await createLead(s, null, { foreignId: 'bulk-noaddr' });
      const l6 = await createLead(s, 'bulk-2@example.com', { partition: 'West' });

      const views = await s.leads.bulkApply([l3, l1, l2, l5], unsubscribe, ChangePaths.flowStep());

      expect(views.map((v) => [v.id, v.unsubscribed])).to.have.deep.members([
        [l1, true],
        [l2, true],
        [l3, true],
        [l5, true],
      ]);
      expect(await flags(s, [l1, l2, l3, l4, l5, l6])).to.deep.equal([
        true,
        true,
        true,
        false,
        true,
        true,
      ]);
      expect(await history('bulk-1@example.com')).to.have.length(1);
      expect(await history('bulk-2@example.com')).to.have.length(1);
      expect(await status('bulk-1@example.com')).to.include({
        unsubscribed: true,
        reason: 'Change Data Value flow step',
        source: 'Smart campaign',
      });
      expect(await status('bulk-3@example.com')).to.equal(null);
      // Of l1 and l2 one was set by the step, the other followed it; l6 was not in the list.
      const reasons = [
        attr((await activitiesOf(s, l1))[0], 'Reason'),
        attr((await activitiesOf(s, l2))[0], 'Reason'),
      ];
      expect(reasons).to.have.members(['Change Data Value flow step', PROPAGATED_REASON]);
      expect(attr((await activitiesOf(s, l6))[0], 'Reason')).to.equal(PROPAGATED_REASON);
      expect(await activitiesOf(s, l4)).to.have.length(1);

      await s.leads.bulkApply(
        [l1, l3],
        { attributes: [{ name: 'Unsubscribed', value: 'false' }] },
        ChangePaths.flowStep(),
      );
      expect(await flags(s, [l1, l2, l3, l6])).to.deep.equal([false, false, false, false]);
    });

    it('bulkApply moves several leads to one address, each taking its status', async () => {
      const target = await createLead(s, 'bulk-target@example.com', { unsubscribed: true });
      const a = await createLead(s, 'bulk-from-a@example.com');
      const b = await createLead(s, 'bulk-from-b@example.com');
      await s.leads.bulkApply([a, b], { email: 'bulk-target@example.com' }, web);
      expect(await flags(s, [target, a, b])).to.deep.equal([true, true, true]);
      expect(attr((await activitiesOf(s, a))[0], 'Reason')).to.equal(RESET_REASON);
    });

    it('bulkApply changes nothing when one lead is missing or the change is bad', async () => {
      const a = await createLead(s, 'bulk-bad@example.com');
      const before = await snapshot(h.db);
      await expectAppError(
        s.leads.bulkApply([a, 987654], unsubscribe, web),
        ErrorCode.LEAD_NOT_FOUND,
      );
      await expectAppError(
        s.leads.bulkApply(
          [a],
          { attributes: [...unsubscribe.attributes, { name: 'LeadScore', value: 'x' }] },
          web,
        ),
        ErrorCode.LEAD_ATTRIBUTE_BAD,
      );
      expect(await snapshot(h.db)).to.deep.equal(before);
    });

    it('syncMany applies each record on its own: a bad record fails only itself', async () => {
      const x = await createLead(s, 'batch-x@example.com');
      const x2 = await createLead(s, 'batch-x@example.com', { partition: 'East' });
      const y = await createLead(s, 'batch-y@example.com');
      await createLead(s, 'batch-other@example.com', { foreignId: 'batch-taken' });

      const results = await s.leads.syncMany(
        [
          { email: 'batch-a@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: 'not-an-address' },
          { id: x, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: 'batch-c@example.com', attributes: [{ name: 'NoSuchField', value: '1' }] },
          { id: 987654, attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: 'batch-d@example.com', attributes: [{ name: 'LeadScore', value: 'ten' }] },
          // Fails after its unsubscribe was propagated: the transaction must undo all of it.
          {
            id: y,
            foreignSysPersonId: 'batch-taken',
            attributes: [{ name: 'Unsubscribed', value: 'true' }],
          },
          { email: 'batch-f@example.com' },
        ],
        { path: web },
      );

      expect(results).to.have.length(8);
      const codes = results.map((r) => (r instanceof AppError ? r.code : r.status));
      expect(codes).to.deep.equal([
        'CREATED',
        ErrorCode.LEAD_ATTRIBUTE_BAD,
        'UPDATED',
        ErrorCode.LEAD_ATTRIBUTE_BAD,
        ErrorCode.LEAD_NOT_FOUND,
        ErrorCode.LEAD_ATTRIBUTE_BAD,
        ErrorCode.LEAD_SYNC_FAILED,
        'CREATED',
      ]);
      const created = results[0] as SyncAnswer;
      expect(await flags(s, [created.leadId])).to.deep.equal([true]);
      expect(await flags(s, [x, x2, y])).to.deep.equal([true, true, false]);
      expect(await status('batch-y@example.com')).to.equal(null);
      expect(await activitiesOf(s, y)).to.have.length(1);
      for (const missing of ['batch-c@example.com', 'batch-d@example.com', 'not-an-address']) {
        await expectAppError(
          s.leads.find({ keyType: 'EMAIL', keyValue: missing }),
          ErrorCode.LEAD_NOT_FOUND,
        );
      }
      expect(
        (await s.leads.find({ keyType: 'EMAIL', keyValue: 'batch-f@example.com' }))[0]?.id,
      ).to.equal((results[7] as SyncAnswer).leadId);
    });

    it('syncMany with a bad partition refuses the whole call and writes nothing', async () => {
      const before = await snapshot(h.db);
      await expectAppError(
        s.leads.syncMany([{ email: 'batch-p@example.com' }], {
          path: web,
          partition: 'x'.repeat(65),
        }),
        ErrorCode.BAD_PARAMETER,
      );
      await expectAppError(
        s.leads.syncMany([{ email: 'batch-p@example.com' }], { path: web, partition: '  ' }),
        ErrorCode.BAD_PARAMETER,
      );
      expect(await snapshot(h.db)).to.deep.equal(before);
    });

    it('re-subscribing through one record of a batch reaches the leads of other partitions', async () => {
      const a = await createLead(s, 'batch-re@example.com', { partition: 'East' });
      const b = await createLead(s, 'batch-re@example.com', { partition: 'West' });
      await setFlag(s, a, true);
      const [result] = await s.leads.syncMany(
        [{ id: b, attributes: [{ name: 'Unsubscribed', value: 'false' }] }],
        { path: web },
      );
      expect(result).to.not.be.instanceOf(AppError);
      expect(await flags(s, [a, b])).to.deep.equal([false, false]);
    });
  });
}
