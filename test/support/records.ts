import type { NewLead } from '../../src/domain/records.js';

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

/** The error `promise` fails with; a promise that succeeds fails the test. */
export async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}
