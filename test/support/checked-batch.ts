/**
 * What the checked batch's tests (test/integration/batch-checked*.test.ts) share: a watch on
 * every checked batch, the people they start from, and the comparison with the locked batch.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type { BatchMemory, BatchScope } from '../../src/domain/ports.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { outcome, state } from './batch-records.js';
import type { TestEngine } from './database.js';
import { expectNoViolations, openHarness, web, type Harness } from './harness.js';

export type Outcome = 'written' | 'moved' | 'none';

/**
 * Watches every checked batch: its outcome is recorded ('none': no checked batch was tried),
 * `between` (once) runs between its rules and its write (before the locked batch where none
 * was tried), and the databases in `locked` get no checked batch (the locked path).
 */
export function watchChecked(locked: Set<Database>, between?: () => Promise<unknown>) {
  const outcomes: Outcome[] = [];
  const writeChecked = UnitOfWork.prototype.writeChecked;
  let pending = between;
  const runPending = async () => {
    const run = pending;
    pending = undefined;
    await run?.();
  };
  sinon.stub(UnitOfWork.prototype, 'writeChecked').callsFake(async function <T>(
    this: UnitOfWork,
    scope: BatchScope,
    apply: (batch: BatchMemory) => Promise<T>,
  ) {
    if (locked.has((this as unknown as { database: Database }).database)) return null;
    let applied = false;
    const done = await writeChecked.call(this, scope, async (batch: BatchMemory) => {
      const value = await apply(batch);
      applied = true;
      await runPending();
      return value;
    });
    if (!applied) await runPending();
    outcomes.push(done ? 'written' : applied ? 'moved' : 'none');
    return done;
  });
  return outcomes;
}

/**
 * Two fresh databases for each test (mocha hooks), handed to `opened`: the one whose batches
 * are watched and the reference the same calls are made on; after the test, every stub
 * restored and both dropped.
 */
export function checkedAndReference(
  engine: TestEngine,
  opened: (checked: Harness, reference: Harness) => void,
): void {
  let pair: Harness[] = [];
  beforeEach(async () => {
    pair = [await openHarness(engine), await openHarness(engine)];
    opened(pair[0]!, pair[1]!);
  });
  afterEach(async () => {
    sinon.restore();
    for (const h of pair) await h.drop();
  });
}

export const sqlite = (h: Harness) => h.engine.name === 'sqlite';

/** Four people, two of them on one address spelt two ways; their ids. */
export async function seed(s: Services): Promise<number[]> {
  const ctx = { path: web, matchByEmail: false };
  const ids: number[] = [];
  for (const [email, fid] of [
    ['one@example.com', null],
    ['ONE@example.com ', null],
    ['two@example.com', 'fid-1'],
    ['three@example.com', 'fid-2'],
  ] as const) {
    const input: LeadInput = fid ? { email, foreignSysPersonId: fid } : { email };
    ids.push((await s.leads.sync(input, ctx)).leadId);
  }
  return ids;
}

/** The checked database answered and stored what the reference (locked) one did. */
export async function expectSame(
  checked: Harness,
  reference: Harness,
  got: unknown[],
  want: unknown[],
): Promise<void> {
  expect(got.map(outcome), 'answers').to.deep.equal(want.map(outcome));
  expect(await state(checked.db), 'stored rows').to.deep.equal(await state(reference.db));
  await expectNoViolations(checked.services);
}
