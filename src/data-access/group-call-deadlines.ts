import { callTimedOut, type CallDeadline } from '../domain/ports.js';

/*
 * The call deadlines (REQUEST_TIMEOUT_MS, CallDeadline) of the units of a SQLite group commit
 * (sqlite-group-writer.ts), so that a call's timeout answer is true. A unit is withdrawn alone,
 * the group's other units untouched, at every point where nothing of it is stored yet: before
 * it starts (stillDue), and before its writes become the group's (mayJoinCommit: its savepoint
 * released, its step posted, a lone unit's COMMIT sent). Past that point it is committing: its
 * call waits for the group's COMMIT (COMMIT_GRACE_MS more at the most) and answers its outcome.
 */

/** What these checks need of a unit: its call's deadline, and how its caller is answered. */
interface DeadlineUnit {
  readonly deadline: CallDeadline | undefined;
  settle(outcome: Withdrawn): void;
}

type Withdrawn = { ok: false; error: unknown };

/** The outcome of a unit withdrawn at its call's deadline: nothing of it was stored. */
export const withdrawn = (): Withdrawn => ({ ok: false, error: callTimedOut() });

/** Whether a unit's call has timed out while it waited for its turn: it must not start. */
export const overdue = (unit: DeadlineUnit): boolean => unit.deadline?.passed === true;

/**
 * Whether a unit may pass its point of no return (its writes become the group's): once asked
 * and let, the call waits for the group's outcome (CallDeadline.mayCommit); refused, the unit
 * is withdrawn.
 */
export const mayJoinCommit = (unit: DeadlineUnit): boolean =>
  unit.deadline === undefined || unit.deadline.mayCommit();

/**
 * The units of `group` that may still run: those whose call's deadline has passed while they
 * waited for their turn are answered at once and never run.
 */
export function stillDue<U extends DeadlineUnit>(group: U[]): U[] {
  if (!group.some(overdue)) return group;
  return group.filter((u) => {
    if (!overdue(u)) return true;
    u.settle(withdrawn());
    return false;
  });
}
