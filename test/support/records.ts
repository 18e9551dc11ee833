import type { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import type {
  EmailStatusRecord,
  LeadRecord,
  NewLead,
  PropagationActivity,
} from '../../src/domain/records.js';

/** A new person in the default partition with only an address: the least a repository stores. */
export function newLeadAt(email: string): NewLead {
  return {
    email,
    emailKey: email,
    partition: 'Default',
    foreignSysPersonId: null,
    foreignSysType: null,
    unsubscribed: false,
    columns: {},
    custom: {},
    now: 1,
  };
}

/**
 * The record standing for the row `id` that a test's unit updates without reading it first
 * (WriteScope.updateLogged takes the locked record and builds its answer from it and the
 * change): only what the change writes, id and change_seq of the answer are meaningful.
 */
export const heldLead = (id: number): LeadRecord => ({
  id,
  email: null,
  emailKey: null,
  partition: 'Default',
  foreignSysPersonId: null,
  foreignSysType: null,
  unsubscribed: false,
  columns: {},
  custom: {},
  createdAt: 0,
  updatedAt: 0,
  changeSeq: 0,
});

/** The error `promise` fails with; a promise that succeeds fails the test. */
export async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

/** The propagation activity of a one-click unsubscribe (unsubscribeAddressOnce) by link "abc". */
export const linkPropagation: PropagationActivity = {
  attributeName: 'Unsubscribed',
  reason: 'propagated',
  source: 'Unsubscribe link',
  actor: 'link abc',
  causeLeadId: null,
};

/** The master status a one-click unsubscribe by link "abc" sets on `key` at `at`. */
export const linkStatus = (key: string, at: number): EmailStatusRecord => ({
  emailKey: key,
  unsubscribed: true,
  reason: 'Unsubscribe link',
  source: 'Unsubscribe link (link abc)',
  leadId: null,
  changedAt: at,
});

/** The propagation activity of an unsubscribe written by a test's own unit of work. */
export const testPropagation: PropagationActivity = {
  attributeName: 'Unsubscribed',
  reason: 'propagated',
  source: 'test',
};

/** An unsubscribed master status of `key`, set by person `leadId` (from `source`). */
export const testStatus = (key: string, leadId: number, source = 'test'): EmailStatusRecord => ({
  emailKey: key,
  unsubscribed: true,
  reason: 'why',
  source,
  leadId,
  changedAt: 7,
});

/** A one-click unsubscribe of `key` as one unit of `uow`: the one-step unit of the group writers. */
export const linkUnsubscribe = (uow: UnitOfWork, key: string, at = 1000) =>
  uow.writeStep((r) => r.leads.unsubscribeAddressOnce(linkStatus(key, at), linkPropagation));
