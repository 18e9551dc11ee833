import { spawn } from 'node:child_process';
import { expect } from 'chai';
import sinon from 'sinon';
import { BatchSession } from '../../src/data-access/batch/batch-session.js';
import { BatchUnsupported } from '../../src/data-access/batch/batch-errors.js';
import type { Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { ConsoleJobRunner } from '../../src/domain/console-job-runner.js';
import { createServices, type Services } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { waitFor } from '../support/wait.js';

const web = ChangePaths.webService();
const SELECTED = 10000;
const ADDRESSES = 8000;
const FOLLOWERS = 50;
const CHANGE = { field: 'Unsubscribed', value: 'true' };

/**
 * 10,000 people in partition "bulk" on 8,000 addresses (the last 2,000 share an address with
 * one of the first), plus 50 people in partition "other" holding some of the same addresses.
 */
async function seed(services: Services): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < SELECTED; start += 500) {
    const inputs = [];
    for (let i = start; i < Math.min(start + 500, SELECTED); i++)
      inputs.push({ email: `bulk${i % ADDRESSES}@example.com`, foreignSysPersonId: `B${i}` });
    const results = await services.leads.syncMany(inputs, {
      path: web,
      partition: 'bulk',
      matchByEmail: false,
    });
    for (const r of results) {
      if (r instanceof Error) throw r;
      ids.push(r.leadId);
    }
  }
  const others = [];
  for (let i = 0; i < FOLLOWERS; i++)
    others.push({ email: `bulk${i}@example.com`, foreignSysPersonId: `O${i}` });
  await services.leads.syncMany(others, { path: web, partition: 'other', matchByEmail: false });
  return ids;
}

async function flowStepActivities(db: Database): Promise<Map<number, number>> {
  const rows = (await db
    .knex('activities')
    .where({ reason: 'Change Data Value flow step', actor: 'alice' })
    .select('lead_id')) as Array<{ lead_id: number }>;
  const perLead = new Map<number, number>();
  for (const r of rows) perLead.set(Number(r.lead_id), (perLead.get(Number(r.lead_id)) ?? 0) + 1);
  return perLead;
}

/** What must hold after the whole job, however many runs it took. */
async function expectExactOutcome(services: Services, db: Database, jobId: number, ids: number[]) {
  const status = await services.bulkChanges.status(jobId);
  expect(status.job.state).to.equal('done');
  expect(status.totals).to.deep.equal({
    applied: status.job.totalBatches,
    changed: ADDRESSES,
    unchanged: SELECTED - ADDRESSES - 3,
    failed: 3,
  });
  expect(status.failures.map((f) => f.why)).to.deep.equal(
    Array(3).fill('This person no longer exists'),
  );
  // Every change applied once, none twice, none lost.
  const perLead = await flowStepActivities(db);
  expect(perLead.size).to.equal(ADDRESSES);
  expect([...perLead.values()].every((n) => n === 1)).to.equal(true);
  for (const id of ids.slice(0, ADDRESSES)) expect(perLead.get(id), `person ${id}`).to.equal(1);
  // Everyone selected, and everyone following in the other partition, is unsubscribed.
  const [row] = (await db.knex('leads').where('unsubscribed', false).count({ n: '*' })) as Array<{
    n: number | string;
  }>;
  expect(Number(row?.n)).to.equal(0);
  expect(await services.durableStatus.findViolations()).to.deep.equal([]);
  // The whole log: followers of a propagation are narrow rows beside its event (activity_log).
  const followed = (await db
    .knex('activity_log')
    .where({ attribute_name: 'Unsubscribed', actor: 'alice' })
    .whereNotNull('cause_lead_id')
    .count({ n: '*' })) as Array<{ n: number | string }>;
  // The 2,000 second holders minus the 3 deleted, plus the 50 in the other partition.
  expect(Number(followed[0]!.n)).to.equal(SELECTED - ADDRESSES - 3 + FOLLOWERS);
}

for (const engine of testEngines()) {
  describe(`Change Data Value over 10,000 people (${engine.name})`, function () {
    this.timeout(600000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let services: Services;
    let ids: number[];
    let jobId: number;

    beforeEach(async function () {
      const t0 = Date.now();
      made = await engine.create();
      services = createServices(
        made.db,
        { customFields: [], defaultPartition: 'Default' },
        { jobs: { batchSize: 200, leaseMs: 1500 } },
      );
      ids = await seed(services);
      if (process.env.BULK_TIMING) console.log('seed ms', Date.now() - t0);
    });

    afterEach(async function () {
      await made.drop();
    });

    async function startJob(): Promise<number> {
      const preview = await services.bulkChanges.preview({ partition: 'bulk' }, CHANGE);
      expect(preview.counts).to.deep.equal({
        people: SELECTED,
        addresses: ADDRESSES,
        partitions: 1,
        followers: FOLLOWERS,
        followerPartitions: 1,
      });
      const id = await services.bulkChanges.start({ partition: 'bulk' }, CHANGE, 'alice', {
        confirmProtected: false,
      });
      // Three second holders of an address vanish before the job runs: they fail, counted.
      await services.leads.delete({ keyType: 'IDNUM', keyValue: String(ids[8001]) }, web);
      await services.leads.delete({ keyType: 'IDNUM', keyValue: String(ids[9000]) }, web);
      await services.leads.delete({ keyType: 'IDNUM', keyValue: String(ids[9999]) }, web);
      return id;
    }

    it('finishes with exact counts and verify clean', async function () {
      jobId = await startJob();
      const t0 = process.hrtime.bigint();
      expect(await services.bulkChanges.run(jobId)).to.equal(true);
      if (process.env.BULK_TIMING)
        console.log('job ms', Number(process.hrtime.bigint() - t0) / 1e6);
      await expectExactOutcome(services, made.db, jobId, ids);
      // Running it again finds nothing pending and changes nothing.
      expect(await services.bulkChanges.run(jobId)).to.equal(false);
    });

    it('killed half-way, loses and duplicates nothing when resumed', async function () {
      jobId = await startJob();
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'test/support/bulk-change-child.ts',
          made.url,
          made.dataDir,
          String(jobId),
          '200',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let seen = 0;
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          seen += (chunk.toString().match(/^batch /gm) ?? []).length;
          if (seen >= 8) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', (code) =>
          code === 0 ? reject(new Error('the child finished before it was killed')) : resolve(),
        );
      });
      await new Promise((r) => child.once('exit', r));
      // Between runs: every applied batch is whole, and counted.
      const midway = await services.bulkChanges.status(jobId);
      expect(midway.job.state).to.equal('running');
      expect(midway.totals.applied).to.be.at.least(8).and.below(midway.job.totalBatches);
      const perLead = await flowStepActivities(made.db);
      expect(perLead.size).to.equal(midway.totals.changed);
      // The lease of the killed run expires, and this instance carries on.
      await new Promise((r) => setTimeout(r, 1600));
      expect(await services.bulkChanges.run(jobId)).to.equal(true);
      await expectExactOutcome(services, made.db, jobId, ids);
    });
  });
}

for (const engine of testEngines()) {
  describe(`Change Data Value across batches of one crowded address (${engine.name})`, function () {
    this.timeout(120000);

    for (const path of ['set-based', 'person by person'] as const) {
      it(`gives exact counts when batches are written ${path}`, async () => {
        // The set-based batch refusing (as it does beyond what a batch may hold) sends every
        // batch down the person-by-person path.
        const refuse =
          path === 'person by person'
            ? sinon.stub(BatchSession, 'open').rejects(new BatchUnsupported('test'))
            : null;
        const made = await engine.create();
        try {
          const services = createServices(
            made.db,
            { customFields: [], defaultPartition: 'Default' },
            { jobs: { batchSize: 200 } },
          );
          const inputs = Array.from({ length: 300 }, (_, i) => ({
            email: 'hot@example.com',
            foreignSysPersonId: `H${i}`,
          }));
          await services.leads.syncMany(inputs, {
            path: web,
            partition: 'hot',
            matchByEmail: false,
          });
          const id = await services.bulkChanges.start(
            { partition: 'hot' },
            { field: 'Unsubscribed', value: 'true' },
            'alice',
            { confirmProtected: false },
          );
          expect(await services.bulkChanges.run(id)).to.equal(true);
          const status = await services.bulkChanges.status(id);
          expect(status.totals).to.deep.equal({
            applied: 2,
            changed: 1,
            unchanged: 299,
            failed: 0,
          });
          expect((await flowStepActivities(made.db)).size).to.equal(1);
          expect(await services.durableStatus.findViolations()).to.deep.equal([]);
          if (refuse) expect(refuse.callCount).to.be.at.least(2);
        } finally {
          refuse?.restore();
          await made.drop();
        }
      });
    }
  });
}

for (const engine of testEngines()) {
  describe(`the console's job runner (${engine.name})`, function () {
    this.timeout(120000);

    it('reports an import whose process stopped as interrupted, leaving what it imported', async () => {
      const made = await engine.create();
      try {
        const services = createServices(made.db, { customFields: [], defaultPartition: 'Default' });
        const [id] = (await made.db
          .knex('console_jobs')
          .insert({
            kind: 'suppression-import',
            operator: 'alice',
            state: 'running',
            spec: '{}',
            created_at: Date.now() - 60000,
            updated_at: Date.now() - 60000,
            lease_until: Date.now() - 1000,
            progress: JSON.stringify({ counts: { rows: 500 }, read: 0.5 }),
          })
          .returning('id')) as Array<{ id: number }>;
        await services.suppressionImports.failInterrupted();
        const status = await services.suppressionImports.status(id!.id);
        expect(status.job.state).to.equal('failed');
        expect(status.job.message).to.match(
          /^Interrupted: .*importing the same file again is safe/,
        );
        expect(status.progress?.read).to.equal(0.5);
      } finally {
        await made.drop();
      }
    });

    it('picks up, when it starts, a job whose runner stopped, and finishes it', async () => {
      const made = await engine.create();
      const runner = { stop: async () => undefined } as { stop(): Promise<void> };
      try {
        const services = createServices(
          made.db,
          { customFields: [], defaultPartition: 'Default' },
          { jobs: { batchSize: 10, leaseMs: 1000 } },
        );
        const inputs = Array.from({ length: 35 }, (_, i) => ({ email: `r${i}@example.com` }));
        await services.leads.syncMany(inputs, { path: web, partition: 'r', matchByEmail: false });
        const id = await services.bulkChanges.start(
          { partition: 'r' },
          { field: 'City', value: 'Oslo' },
          'alice',
          { confirmProtected: false },
        );
        // As a run that died would leave it: running, its lease about to run out.
        await made.db
          .knex('console_jobs')
          .where('id', id)
          .update({ state: 'running', lease_until: Date.now() + 300 });
        const errors: unknown[] = [];
        const started = new ConsoleJobRunner(
          services.bulkChanges,
          services.suppressionImports,
          { failed: (e) => errors.push(e), recovered: () => undefined },
          100,
        );
        runner.stop = () => started.stop();
        started.start();
        // By the clock, not 200 rounds of 50 ms: the runner's passes take longer on a loaded machine.
        await waitFor(async () => (await services.bulkChanges.status(id)).job.state === 'done');
        const status = await services.bulkChanges.status(id);
        expect(status.job.state).to.equal('done');
        expect(status.totals).to.deep.equal({ applied: 4, changed: 35, unchanged: 0, failed: 0 });
        expect(errors).to.deep.equal([]);
        const [one] = await services.leads.find({ keyType: 'EMAIL', keyValue: 'r7@example.com' });
        expect(one!.attributes).to.deep.include({ name: 'City', type: 'string', value: 'Oslo' });
      } finally {
        await runner.stop();
        await made.drop();
      }
    });
  });
}
