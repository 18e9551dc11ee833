import fs from 'node:fs';
import { expect } from 'chai';
import {
  ACTIVITY_WRITER_LOCK_CLASS,
  SETTLED_ACTIVITY_ID,
  WRITER_FLOOR_LOCK,
} from '../../src/data-access/activity-horizon.js';

describe('activity horizon statements (PostgreSQL change stream)', () => {
  it('the writers’ lock is one statement: a message’s statements are counted by their semicolons', () => {
    expect(WRITER_FLOOR_LOCK).to.not.include(';');
    expect(SETTLED_ACTIVITY_ID).to.not.include(';');
  });

  it('the writers’ lock is one line: it leads every write transaction’s message and log line', () => {
    expect(WRITER_FLOOR_LOCK).to.not.match(/[\r\n]/);
  });

  it('the lock class is a positive int4, and the runbook’s query names it', () => {
    expect(Number.isInteger(ACTIVITY_WRITER_LOCK_CLASS)).to.equal(true);
    expect(ACTIVITY_WRITER_LOCK_CLASS).to.be.within(1, 2 ** 31 - 1);
    const runbook = fs.readFileSync('docs/operations.md', 'utf8');
    expect(runbook).to.include(
      `l.classid BETWEEN ${ACTIVITY_WRITER_LOCK_CLASS} AND ${ACTIVITY_WRITER_LOCK_CLASS + 2 ** 20 - 1}`,
    );
  });
});
