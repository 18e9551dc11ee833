/**
 * Before it takes any lock, a batch finds out whether it can be held: more people in its
 * addresses than MAX_BATCH_LEADS, or one address shared by more than MAX_PEOPLE_PER_ADDRESS,
 * leave the call to the per-record path, which gives the same answers.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { MAX_BATCH_LEADS, MAX_PEOPLE_PER_ADDRESS } from '../../src/data-access/batch/batch-load.js';
import { BatchSession } from '../../src/data-access/batch/batch-session.js';
import { emailKey } from '../../src/domain/email-key.js';
import { testEngines } from '../support/database.js';
import { expectNoViolations, openHarness, web, type Harness } from '../support/harness.js';

/** People straight into the table (the rules are not what is tested here). */
async function plant(h: Harness, addresses: ReadonlyArray<[string, number]>): Promise<void> {
  const rows = addresses.flatMap(([email, n]) =>
    Array.from({ length: n }, () => ({
      email,
      email_key: emailKey(email),
      partition: 'Default',
      custom_attributes: '{}',
      created_at: 1,
      updated_at: 1,
    })),
  );
  for (let i = 0; i < rows.length; i += 500)
    await h.db.knex('leads').insert(rows.slice(i, i + 500));
}

for (const engine of testEngines()) {
  describe(`what a batch may hold (${engine.name})`, function () {
    this.timeout(120000);
    let h: Harness;
    beforeEach(async () => {
      h = await openHarness(engine);
    });
    afterEach(async () => {
      sinon.restore();
      await h.drop();
    });

    async function refusal(): Promise<string | undefined> {
      const open = sinon.spy(BatchSession, 'open');
      const answers = await h.services.leads.syncMany(
        [
          { email: 'shared@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: 'alone@example.com', attributes: [] },
        ],
        { path: web },
      );
      expect(answers.map((a) => (a as { status?: string }).status)).to.deep.equal([
        'UPDATED',
        'CREATED',
      ]);
      const shared = await h.services.leads.find({
        keyType: 'EMAIL',
        keyValue: 'shared@example.com',
      });
      expect(
        shared.every((l) => l.unsubscribed),
        'every holder unsubscribed',
      ).to.equal(true);
      await expectNoViolations(h.services);
      const error = await open.firstCall.returnValue.then(
        () => undefined,
        (e: unknown) => (e as Error).message,
      );
      return error;
    }

    it('holds an address of MAX_PEOPLE_PER_ADDRESS people', async () => {
      await plant(h, [['shared@example.com', MAX_PEOPLE_PER_ADDRESS]]);
      expect(await refusal()).to.equal(undefined);
    });

    it('leaves an address shared by more to the per-record path', async () => {
      await plant(h, [['shared@example.com', MAX_PEOPLE_PER_ADDRESS + 1]]);
      expect(await refusal()).to.contain('an address shared by very many people');
    });

    it('leaves more than MAX_BATCH_LEADS people in its addresses to the per-record path', async () => {
      // Spread so that no address is too shared on its own.
      const per = MAX_PEOPLE_PER_ADDRESS;
      const addresses = Math.ceil((MAX_BATCH_LEADS + 1) / per);
      await plant(h, [
        ['shared@example.com', 1],
        ...Array.from({ length: addresses }, (_, i): [string, number] => [
          `p${i}@example.com`,
          per,
        ]),
      ]);
      const open = sinon.spy(BatchSession, 'open');
      const records = [
        { email: 'shared@example.com', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
        ...Array.from({ length: addresses }, (_, i) => ({ email: `p${i}@example.com` })),
      ];
      const answers = await h.services.leads.syncMany(records, { path: web });
      expect(answers.every((a) => (a as { status?: string }).status !== undefined)).to.equal(true);
      const error = await open.firstCall.returnValue.then(
        () => undefined,
        (e: unknown) => (e as Error).message,
      );
      expect(error).to.contain('too many people in one batch');
    });
  });
}
