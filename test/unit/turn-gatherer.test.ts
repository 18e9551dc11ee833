import { expect } from 'chai';
import { MOST_READS_PER_MESSAGE, TurnGatherer } from '../../src/data-access/turn-gatherer.js';

/** The gathering of the plain reads of one event-loop turn (pg-rows.ts, grouped-reads.ts). */
describe('TurnGatherer', () => {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('hands over what one turn asked for together, once the turn ends, per key', async () => {
    const served: Array<[string, number[]]> = [];
    const gatherer = new TurnGatherer<{ name: string }, number>((key, items) =>
      served.push([key.name, items]),
    );
    const a = { name: 'a' };
    const b = { name: 'b' };
    gatherer.add(a, 1);
    gatherer.add(b, 2);
    gatherer.add(a, 3);
    expect(served, 'nothing before the turn ends').to.deep.equal([]);
    await turn();
    expect(served).to.deep.equal([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
    gatherer.add(a, 4);
    await turn();
    expect(served[2], 'the next turn: a gathering of its own').to.deep.equal(['a', [4]]);
  });

  it('starts a new gathering after a full one (at most 16 by default)', async () => {
    const served: number[][] = [];
    const gatherer = new TurnGatherer<object, number>((_key, items) => served.push(items));
    const key = {};
    for (let i = 0; i < MOST_READS_PER_MESSAGE * 2 + 1; i++) gatherer.add(key, i);
    await turn();
    expect(MOST_READS_PER_MESSAGE).to.equal(16);
    expect(served.map((items) => items.length)).to.deep.equal([16, 16, 1]);
    expect(served.flat()).to.deep.equal([...Array(33).keys()]);
  });
});
