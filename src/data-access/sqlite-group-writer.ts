import type { Knex } from 'knex';
import type { Database } from './database.js';
import { GROUP_UNDONE_CODE } from './sqlite-thread/protocol.js';
import { callTimedOut, RetryTransaction, type CallDeadline } from '../domain/ports.js';
import { queueSqliteWriter } from './sqlite-writer-turns.js';
import { mayJoinCommit, overdue, stillDue, withdrawn } from './group-call-deadlines.js';
import { LateJoiners, lateJoiningOn } from './sqlite-late-joiners.js';
import {
  pinnedTransaction,
  stepsOn,
  throughStep,
  type StepConnection,
} from './sqlite-step-transactions.js';

/** Units of work one shared SQLite transaction may hold: bounds the wait of the first caller. */
export const MAX_GROUP_UNITS = 32;

type Outcome =
  | { ok: true; value: unknown }
  /**
   * stepStored: a one-step unit that failed with some of its writes in the transaction (its
   * message failed after writing, or was answered and a second statement was refused).
   */
  | { ok: false; error: unknown; stepStored?: boolean };

/** The repositories of a unit: `db` carries its statements, inside the transaction `trx`. */
export type UnitScope<R> = (db: Knex.Transaction, trx: Knex.Transaction) => R;

/**
 * What a unit is: any work ('unit'), one message to the writer thread (UnitOfWork.writeStep:
 * 'step'), or one whose outcome is its message's ('final': StepOptions.final).
 */
export type UnitKind = 'unit' | 'step' | 'final';

interface GroupUnit<R> {
  work: (repos: R) => Promise<unknown>;
  /** The unit's whole work is one message to the writer thread (UnitOfWork.writeStep). */
  step: boolean;
  /** And nothing it does after its answer can undo it (StepOptions.final). */
  final: boolean;
  /** Its call's deadline: past it the unit is withdrawn unless already committing. */
  deadline: CallDeadline | undefined;
  settle: (outcome: Outcome) => void;
}

/**
 * Settles each unit of a group with its own outcome once all are known; when the group failed
 * (`failed`: nothing of it is stored), a unit that had failed on its own keeps its own error
 * and the others get the group's.
 */
async function settleGroup<R>(
  group: Array<GroupUnit<R>>,
  outcomes: Array<Promise<Outcome>>,
  failed?: { error: unknown },
): Promise<void> {
  const own = await Promise.all(outcomes);
  group.forEach((unit, i) => {
    const o = own[i];
    if (failed === undefined) unit.settle(o!);
    else
      unit.settle(o && !o.ok ? { ok: false, error: o.error } : { ok: false, error: failed.error });
  });
}

/**
 * Group commit for a SQLite file: with synchronous=FULL every COMMIT waits for an fsync, which
 * costs far more than the statements of a unit. Units that queue while the file's writer is
 * busy run together in one BEGIN IMMEDIATE, in the order a serial queue would give, each
 * inside a SAVEPOINT so that a unit that fails leaves no trace; every caller is answered only
 * after the shared COMMIT, so an answer still means "on disk". The statements and the fsync
 * run in the writer thread (sqlite-thread/): meanwhile the event loop goes on reading
 * requests, and their units gather in the next group.
 *
 * A unit starts once the one before it is done, except after a one-step unit (writeStep):
 * its one message runs whole or not at all in the writer thread (protocol.ts, step), so the
 * next unit starts as soon as that message is posted, without waiting for its answer to cross
 * back through this thread's busy event loop. The thread runs messages in order: each unit
 * still sees what the ones before it wrote. A step has no savepoint of its own: one that
 * fails after writing has the whole group rolled back, and the other units run again in a
 * later transaction (UnitOfWork's retry), while it keeps its own error.
 *
 * A group of one-step units alone (commitSteps) lets the next group start once its COMMIT is
 * posted: the writer thread goes from one group's COMMIT straight to the next one's steps,
 * while this thread turns the first group's answers into responses. A group of final steps
 * takes later final units in until the COMMIT ahead of it is answered (LateJoiners): two
 * groups in flight, one in its fsync and one gathering, instead of a third one waiting.
 */
export class SqliteGroupWriter<R> {
  private open: Array<GroupUnit<R>> | null = null;
  /** The group of final steps started and still taking final units in (commitSteps). */
  private joining: LateJoiners<GroupUnit<R>> | null = null;

  constructor(
    private readonly database: Database,
    private readonly scope: UnitScope<R>,
  ) {}

  run<T>(
    work: (repos: R) => Promise<T>,
    kind: UnitKind = 'unit',
    deadline?: CallDeadline,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({
        work,
        step: kind !== 'unit',
        final: kind === 'final',
        deadline,
        settle: (o) => (o.ok ? resolve(o.value as T) : reject(o.error)),
      });
    });
  }

  private enqueue(unit: GroupUnit<R>): void {
    if (this.open && this.open.length < MAX_GROUP_UNITS) {
      this.open.push(unit);
      return;
    }
    // A final step joins a group of final steps still taking units in, unless a group waits
    // (it came first).
    if (unit.final && this.open === null && this.joining?.hasRoom()) {
      this.joining.take(unit);
      return;
    }
    const group = [unit];
    this.open = group;
    // A group is closed once its transaction starts (its units run inside it, and the ones
    // that come meanwhile form the next group, which waits for the whole of this one,
    // COMMIT's fsync included, in the writer thread), but to later final steps when all of
    // its units are (LateJoiners): the first unit waits one turn of the event loop for the
    // requests already read from their sockets.
    setImmediate(() => {
      void queueSqliteWriter(this.database, (handOff, ahead) => {
        // Started: later units form the next group.
        if (this.open === group) this.open = null;
        const due = stillDue(group);
        if (due.length === 0) return Promise.resolve();
        if (!due.every((u) => u.step)) return this.commitGroup(due);
        const joiners =
          lateJoiningOn() && due.every((u) => u.final)
            ? (this.joining = new LateJoiners(() => due.length, MAX_GROUP_UNITS))
            : null;
        return this.commitSteps(due, handOff, ahead, joiners).finally(() => {
          if (this.joining === joiners) this.joining = null;
          // The group broke off before its COMMIT: its late units go to the next group.
          for (const late of joiners?.abandon() ?? []) this.enqueue(late);
        });
      });
    });
  }

  private async commitGroup(group: Array<GroupUnit<R>>): Promise<void> {
    // One per unit, in order; a one-step unit's settles when its message is answered.
    const outcomes: Array<Promise<Outcome>> = [];
    try {
      await this.database.knex.transaction(async (trx) => {
        if (group.length === 1) {
          // Alone: a failure rolls the whole transaction back, no savepoint needed.
          const unit = group[0]!;
          const value = await unit.work(this.scope(trx, trx));
          // Its COMMIT follows: past its call's deadline it rolls back instead.
          if (!mayJoinCommit(unit)) throw callTimedOut();
          outcomes.push(Promise.resolve({ ok: true, value }));
          return;
        }
        const connection = group.some((u) => u.step)
          ? await (trx.client as Knex.Client).acquireConnection()
          : null;
        // The group's one-step units cross to the thread as one message (any other unit's
        // statements post the ones held before them first).
        const steps = stepsOn(connection) ? connection : null;
        steps?.holdSteps();
        try {
          for (const unit of group) {
            if (unit.step && steps)
              outcomes.push((await this.startStep(trx, unit, steps)).answered);
            else outcomes.push(Promise.resolve(await this.runUnit(trx, unit)));
          }
        } finally {
          steps?.releaseSteps();
        }
        // Every unit answered first: a one-step unit that failed with some of its writes in
        // the transaction has the group rolled back; the others run again.
        const settled = await Promise.all(outcomes);
        if (settled.some((o) => !o.ok && o.stepStored)) throw new RetryTransaction();
      });
    } catch (error) {
      // BEGIN, COMMIT or a lone unit failed: nothing of the group is stored. Units that had
      // failed on their own keep their own error.
      return settleGroup(group, outcomes, { error });
    }
    return settleGroup(group, outcomes);
  }

  /**
   * A group of one-step units alone, past knex.transaction: its transaction's messages are
   * posted on the writer's connection, taken from knex's pool, and the connection goes back
   * (and the next group may start: `handOff`) as soon as COMMIT is posted, not once it is
   * answered. The thread runs the next group's messages after this COMMIT, so its statements
   * run while this thread turns this group's answers into responses, instead of the writer
   * idling from one group's COMMIT to the next one's first message. Every caller is still
   * answered only after its own group's COMMIT; a group whose COMMIT fails stores nothing
   * and the next one opens its own transaction (worker.ts rolls back what a failed COMMIT
   * leaves open).
   */
  private async commitSteps(
    group: Array<GroupUnit<R>>,
    handOff: () => void,
    ahead: Promise<void>,
    joiners: LateJoiners<GroupUnit<R>> | null,
  ): Promise<void> {
    const knex = this.database.knex;
    const client = knex.client as Knex.Client;
    const outcomes: Array<Promise<Outcome>> = [];
    let connection: unknown;
    try {
      connection = await client.acquireConnection();
    } catch (error) {
      for (const unit of group) unit.settle({ ok: false, error });
      return;
    }
    let returned = false;
    const giveBack = () => {
      if (returned) return;
      returned = true;
      void client.releaseConnection(connection);
      handOff();
    };
    if (!stepsOn(connection)) {
      giveBack();
      return this.commitGroup(group);
    }
    const steps = connection;
    let ending: Promise<unknown>;
    try {
      const trx = pinnedTransaction(knex, connection);
      // Queued: it goes with the first step (client.ts), as knex.transaction's would.
      await client.query(connection, 'BEGIN;');
      steps.holdSteps();
      try {
        for (const unit of group) outcomes.push((await this.startStep(trx, unit, steps)).answered);
      } finally {
        steps.releaseSteps();
      }
      if (group.every((u) => u.final)) {
        if (joiners) {
          joiners.startPosting((late) => this.postLate(trx, steps, late, group, outcomes));
          // The thread is busy with the COMMIT ahead until then: units that come meanwhile
          // share this group's.
          await ahead;
          await joiners.close();
        }
        await this.commitFinal(connection, outcomes, giveBack, joiners !== null);
        return settleGroup(group, outcomes);
      }
      // Every unit answered first: a one-step unit that failed with some of its writes in the
      // transaction has the group rolled back; the others run again.
      const settled = await Promise.all(outcomes);
      const undone = settled.some((o) => !o.ok && o.stepStored);
      // Posted before query() returns (connection.ts, send): the next group may follow.
      ending = client.query(connection, undone ? 'ROLLBACK' : 'COMMIT;');
      giveBack();
      if (undone) {
        await ending.catch(() => undefined);
        throw new RetryTransaction();
      }
      await ending;
    } catch (error) {
      if (!returned) {
        // The group broke off before its end was posted: roll back what it began.
        void client.query(connection, 'ROLLBACK').catch(() => undefined);
        giveBack();
      }
      return settleGroup(group, outcomes, { error });
    }
    return settleGroup(group, outcomes);
  }

  /**
   * The end of a group of `final` steps (StepOptions.final), whose messages are posted: COMMIT
   * goes right behind them, so that the writer thread runs it as soon as they are done instead
   * of idling until their answers have crossed back through this thread's event loop and
   * COMMIT has crossed over. The next group is handed the file once these answers are here
   * (the thread is in COMMIT's fsync then): it gathers units meanwhile, and its steps wait
   * behind that COMMIT. A step that failed after writing makes the thread roll the group back
   * at that COMMIT (worker.ts): its unit keeps its own error, the others run again. Callers
   * are answered once the COMMIT is (settleGroup). A group that took late units in (`atOnce`)
   * hands the file on as soon as its COMMIT is posted: the next group gathers from then on
   * and posts its own COMMIT once this one is answered.
   */
  private async commitFinal(
    connection: unknown,
    outcomes: Array<Promise<Outcome>>,
    giveBack: () => void,
    atOnce: boolean,
  ): Promise<void> {
    const ending = (this.database.knex.client as Knex.Client).query(connection, 'COMMIT;');
    // Settled, not thrown: the COMMIT's own failure is the group's (caught below).
    void ending.catch(() => undefined);
    if (atOnce) giveBack();
    await Promise.all(outcomes);
    giveBack();
    try {
      await ending;
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      throw code === GROUP_UNDONE_CODE ? new RetryTransaction() : error;
    }
  }

  /** Late final units (LateJoiners) posted behind the group's steps, as one message. */
  private async postLate(
    trx: Knex.Transaction,
    steps: StepConnection,
    late: Array<GroupUnit<R>>,
    group: Array<GroupUnit<R>>,
    outcomes: Array<Promise<Outcome>>,
  ): Promise<void> {
    steps.holdSteps();
    try {
      for (const unit of stillDue(late)) {
        const started = this.startStep(trx, unit, steps).catch((error: unknown) => ({
          answered: Promise.resolve<Outcome>({ ok: false, error }),
        }));
        group.push(unit);
        outcomes.push(started.then((s) => s.answered));
        await started;
      }
    } finally {
      steps.releaseSteps();
    }
  }

  /** One unit in a savepoint, run to its end; throws when the transaction is lost. */
  private async runUnit(trx: Knex.Transaction, unit: GroupUnit<R>): Promise<Outcome> {
    if (overdue(unit)) return withdrawn();
    await trx.raw('SAVEPOINT group_unit');
    try {
      const value = await unit.work(this.scope(trx, trx));
      // Released, its writes are the group's: past its call's deadline they are undone here
      // instead, and the group's other units commit as if it had not run.
      if (!mayJoinCommit(unit)) throw callTimedOut();
      await trx.raw('RELEASE group_unit');
      return { ok: true, value };
    } catch (error) {
      try {
        await trx.raw('ROLLBACK TO group_unit');
        await trx.raw('RELEASE group_unit');
      } catch {
        // SQLite ended the transaction itself (disk full, I/O error…): the unit's error
        // is what every unit of the group is told, and what decides a retry.
        throw error;
      }
      return { ok: false, error };
    }
  }

  /**
   * Starts a one-step unit and comes back once its message is posted (or the unit ended
   * without one): the outcome it gives settles with the answer.
   */
  private async startStep(
    trx: Knex.Transaction,
    unit: GroupUnit<R>,
    connection: StepConnection,
  ): Promise<{ answered: Promise<Outcome> }> {
    // Posted, a step is the group's: past its call's deadline it is not posted at all.
    if (!mayJoinCommit(unit)) return { answered: Promise.resolve(withdrawn()) };
    const step = connection.openStep();
    // What its message left decides, whatever the unit's work made of its answer.
    const done = (async () => unit.work(this.scope(throughStep(trx, step), trx)))().then(
      (value): Outcome => {
        if (step.outcome === 'refused') return { ok: false, error: new RetryTransaction() };
        if (step.outcome === 'spoiled') return { ok: false, error: step.error, stepStored: true };
        return step.unsent
          ? { ok: false, error: new Error('a one-step unit ended without its statement') }
          : { ok: true, value };
      },
      (error: unknown): Outcome =>
        // Refused: a step before it spoiled the transaction; it runs again.
        step.outcome === 'refused'
          ? { ok: false, error: new RetryTransaction() }
          : {
              ok: false,
              error,
              stepStored: step.outcome === 'stored' || step.outcome === 'spoiled',
            },
    );
    await Promise.race([step.posted, done]);
    step.close();
    return { answered: done };
  }
}
