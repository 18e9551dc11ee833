/**
 * What a sync by address asks of its write scope: the lock of its addresses and the person under
 * them as one call (WriteScope.lockAndFindLatest), so that a batch's memory, which serves every
 * call at once, costs each record of a syncMultipleLeads one await fewer. The scope here records
 * its calls; the rules and the write are the ones both scopes serve.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { DurableStatusService } from '../../src/domain/durable-status.service.js';
import { FieldCatalogue } from '../../src/domain/field-catalogue.js';
import { parseLeadInput } from '../../src/domain/lead-input.js';
import { LeadWrites, answerOnly } from '../../src/domain/lead-writes.js';
import type { Transactions, WriteScope } from '../../src/domain/ports.js';
import type { LeadRecord, LeadUpdate } from '../../src/domain/records.js';

const stored: LeadRecord = {
  id: 7,
  email: 'ann@example.com',
  emailKey: 'ann@example.com',
  partition: 'Default',
  foreignSysPersonId: null,
  foreignSysType: null,
  unsubscribed: false,
  columns: { first_name: 'Ann', unsubscribed: false },
  custom: {},
  createdAt: 1,
  updatedAt: 1,
  changeSeq: 1,
};

/** A scope that answers as a store holding `stored` would, and lists the calls made of it. */
function recordingScope(calls: string[]): WriteScope {
  const scope = {
    lockAndFindLatest: async (key: string, other: string | null) => {
      calls.push(`lockAndFindLatest ${key} ${other}`);
      return key === stored.emailKey ? stored : null;
    },
    updateLogged: async (lead: LeadRecord, change: LeadUpdate) => {
      calls.push('updateLogged');
      return { ...lead, columns: { ...lead.columns, ...change.columns } };
    },
  };
  return new Proxy(scope, {
    get(target, name) {
      if (name in target) return target[name as keyof typeof target];
      if (name === 'expect' || name === 'queueStatusAndPropagate' || name === 'then')
        return undefined;
      // Every other call of the scope (its stores included) is listed by name and fails.
      calls.push(String(name));
      throw new Error(`unexpected call: ${String(name)}`);
    },
  }) as unknown as WriteScope;
}

describe('a sync by address asks its scope once for the locks and the person', () => {
  const writes = new LeadWrites(
    new DurableStatusService({} as Transactions),
    () => 100,
    (lead) => lead as never,
  );
  const catalogue = new FieldCatalogue();
  const ctx = { path: ChangePaths.webService('u') };

  it('an update found by its address: lockAndFindLatest, then the write', async () => {
    const calls: string[] = [];
    const change = parseLeadInput(
      { email: 'Ann@Example.com', attributes: [{ name: 'FirstName', value: 'Anne' }] },
      catalogue,
    );
    const out = await writes.syncRecord(recordingScope(calls), change, ctx, 'Default', answerOnly);
    expect(out).to.deep.equal({ leadId: 7, status: 'UPDATED' });
    expect(calls).to.deep.equal([
      'lockAndFindLatest ann@example.com ann@example.com',
      'updateLogged',
    ]);
  });

  it('a record keyed by one address that moves it to another locks both in that call', async () => {
    const calls: string[] = [];
    const change = parseLeadInput({ email: 'ann@example.com' }, catalogue);
    change.matchEmailKey = 'ann@example.com';
    change.email = 'new@example.com';
    change.emailKey = 'new@example.com';
    await writes
      .syncRecord(recordingScope(calls), change, ctx, 'Default', answerOnly)
      .catch(() => undefined);
    expect(calls[0]).to.equal('lockAndFindLatest ann@example.com new@example.com');
  });
});
