import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { FieldCatalogue } from '../../src/domain/field-catalogue.js';
import { parseLeadInput } from '../../src/domain/lead-input.js';
import { planChange, planIsEmpty } from '../../src/domain/lead-rules.js';
import type { LeadInput } from '../../src/domain/lead.types.js';
import type { LeadRecord } from '../../src/domain/records.js';

const catalogue = new FieldCatalogue();
const path = ChangePaths.webService();

function lead(over: Partial<LeadRecord> = {}): LeadRecord {
  return {
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
    ...over,
  };
}

const plan = (l: LeadRecord, input: LeadInput, newAddressUnsubscribed = false) =>
  planChange(l, parseLeadInput(input, catalogue), newAddressUnsubscribed, path, 100);

describe('planChange: the rules of a change as a plan', () => {
  it('a record that repeats what is stored plans nothing (rule 7)', () => {
    const p = plan(lead(), {
      email: 'ann@example.com',
      attributes: [
        { name: 'FirstName', value: 'Ann' },
        { name: 'Unsubscribed', value: 'false' },
      ],
    });
    expect(planIsEmpty(p)).to.equal(true);
    expect(p.activities).to.deep.equal([]);
  });

  it('an unsubscribe changes the flag, logs it and changes the master status (rule 1)', () => {
    const p = plan(lead(), {
      attributes: [
        { name: 'Unsubscribed', value: 'true' },
        { name: 'UnsubscribedReason', value: 'asked' },
      ],
    });
    expect(p.update.unsubscribed).to.equal(true);
    expect(p.masterChanges).to.deep.equal([
      { key: 'ann@example.com', unsubscribed: true, reason: 'asked' },
    ]);
    expect(p.activities.map((a) => [a.attributeName, a.oldValue, a.newValue])).to.deep.include([
      'Unsubscribed',
      'false',
      'true',
    ]);
  });

  it('moving onto an unsubscribed address takes its status, logged as a reset (rule 5)', () => {
    const p = plan(lead(), { email: 'bob@example.com' }, true);
    expect(p.update).to.include({ email: 'bob@example.com', emailKey: 'bob@example.com' });
    expect(p.update.unsubscribed).to.equal(true);
    expect(p.masterChanges).to.deep.equal([]);
    expect(p.activities.map((a) => a.attributeName)).to.deep.equal([
      'Email Address',
      'Unsubscribed',
    ]);
  });

  it('an unsubscribed person without an address carries the unsubscribe to its new one', () => {
    const p = plan(lead({ email: null, emailKey: null, unsubscribed: true }), {
      email: 'new@example.com',
    });
    expect(p.masterChanges).to.deep.equal([
      { key: 'new@example.com', unsubscribed: true, reason: null },
    ]);
    expect(p.update.unsubscribed).to.equal(undefined);
  });

  it('an opt-out carried to an address states there the reason the change gives too', () => {
    const without = lead({
      email: null,
      emailKey: null,
      unsubscribed: true,
      columns: { unsubscribed: true, unsubscribed_reason: 'complaint' },
    });
    const input = {
      email: 'new@example.com',
      attributes: [{ name: 'UnsubscribedReason', value: 'bounced' }],
    };
    const fresh = plan(without, input);
    expect(fresh.masterChanges).to.deep.equal([
      { key: 'new@example.com', unsubscribed: true, reason: 'complaint' },
    ]);
    expect(fresh.acknowledged).to.deep.equal([
      { key: 'new@example.com', optOut: false, reason: 'bounced' },
    ]);
    // At an address unsubscribed already: the person's own reason, then the change's.
    expect(plan(without, input, true).acknowledged).to.deep.equal([
      { key: 'new@example.com', optOut: true, reason: 'complaint' },
      { key: 'new@example.com', optOut: false, reason: 'bounced' },
    ]);
  });

  it('address first, then the flag (rule 6): the flag change lands on the new address', () => {
    const p = plan(
      lead(),
      { email: 'bob@example.com', attributes: [{ name: 'Unsubscribed', value: 'false' }] },
      true,
    );
    expect(p.update.unsubscribed).to.equal(false);
    expect(p.masterChanges).to.deep.equal([
      { key: 'bob@example.com', unsubscribed: false, reason: null },
    ]);
  });

  it('a new foreign id is planned and logged; the caller checks who holds it', () => {
    const p = plan(lead(), { foreignSysPersonId: 'F-1' });
    expect(p.update.foreignSysPersonId).to.equal('F-1');
    expect(planIsEmpty(p)).to.equal(false);
  });
});
