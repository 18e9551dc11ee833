import { expect } from 'chai';
import { batchHistory, type HistoryOrder } from '../../src/domain/opt-outs-since.js';
import type { LeadRecord } from '../../src/domain/records.js';

/** The history as the database answers it: `after` were written after any start; every question kept. */
function history(after: string[]): HistoryOrder & { asked: Array<[string[], number]> } {
  const asked: Array<[string[], number]> = [];
  return {
    asked,
    async writtenAfter(keys, afterId) {
      asked.push([[...keys], afterId]);
      return new Set(keys.filter((k) => after.includes(k)));
    },
  };
}

const people = new Map<number, string | null>([
  [1, 'a@example.com'],
  [2, 'b@example.com'],
  [3, null],
  [4, 'a@example.com'],
]);
const leads = {
  findById: async (id: number) =>
    people.has(id) ? ({ id, emailKey: people.get(id) } as LeadRecord) : null,
};

describe("a batch's reads of which addresses were written after a lift's start", () => {
  it('asks once, for every address of the batch, and answers each from that', async () => {
    const db = history(['b@example.com']);
    const batch = batchHistory(db, leads, [1, 2, 3, 4, 5]);
    expect([...(await batch.writtenAfter(['a@example.com'], 7))]).to.deep.equal([]);
    expect([...(await batch.writtenAfter(['b@example.com'], 7))]).to.deep.equal(['b@example.com']);
    expect([...(await batch.writtenAfter(['a@example.com'], 7))]).to.deep.equal([]);
    expect(db.asked).to.deep.equal([[['a@example.com', 'b@example.com'], 7]]);
  });

  it('asks an address outside the batch, or another start, alone', async () => {
    const db = history(['c@example.com']);
    const batch = batchHistory(db, leads, [1, 2]);
    expect([...(await batch.writtenAfter(['c@example.com'], 7))]).to.deep.equal(['c@example.com']);
    expect([...(await batch.writtenAfter(['a@example.com'], 9))]).to.deep.equal([]);
    expect(db.asked).to.deep.equal([
      [['a@example.com', 'b@example.com'], 7],
      [['c@example.com'], 7],
      [['a@example.com'], 9],
    ]);
  });
});
