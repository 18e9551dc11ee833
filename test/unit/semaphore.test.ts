import { expect } from 'chai';
import { Semaphore } from '../../src/domain/semaphore.js';

describe('Semaphore', () => {
  it('lets at most `limit` run at once, the others in arrival order, and passes errors on', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (n: number) =>
      sem.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        order.push(n);
        running--;
        if (n === 3) throw new Error('three');
        return n;
      });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(task));
    expect(most).to.equal(2);
    expect(order).to.deep.equal([1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).to.deep.equal([
      1,
      2,
      'failed',
      4,
      5,
    ]);
    // Every slot came back: two more run together at once.
    await Promise.all([task(6), task(7)]);
    expect(running).to.equal(0);
  });

  it('tryAcquire: a slot at once or null, never one a waiter is owed; released once', async () => {
    const sem = new Semaphore(1);
    const release = sem.tryAcquire();
    expect(release).to.be.a('function');
    expect(sem.tryAcquire()).to.equal(null);
    let waiterRan = false;
    const waiter = sem.run(async () => {
      waiterRan = true;
    });
    release!();
    release!(); // a second call gives nothing back
    // The slot went to the waiter, not to a newcomer.
    expect(sem.tryAcquire()).to.equal(null);
    await waiter;
    expect(waiterRan).to.equal(true);
    const again = sem.tryAcquire();
    expect(again).to.be.a('function');
    expect(sem.tryAcquire()).to.equal(null);
    again!();
    expect(sem.tryAcquire()).to.be.a('function');
  });

  it('refuses a limit below 1', () => {
    expect(() => new Semaphore(0)).to.throw(RangeError);
  });
});
