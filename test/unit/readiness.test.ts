import { expect } from 'chai';
import { cachedReadiness, type Readiness } from '../../src/http/readiness.js';

const READY: Readiness = { status: 200, body: { status: 'ready', engine: 'sqlite' } };
const DOWN: Readiness = {
  status: 503,
  body: { status: 'not ready', reason: 'database unreachable' },
};

/** A check answered by hand, counting its looks, on a clock moved by hand. */
function harness() {
  const clock = { now: 1000 };
  const looks: Array<(result: Readiness) => void> = [];
  const check = () => new Promise<Readiness>((resolve) => looks.push(resolve));
  const readiness = cachedReadiness(check, 1000, () => clock.now);
  return { clock, looks, readiness };
}

describe('cachedReadiness', () => {
  it('shares one look between the callers that come while it is under way', async () => {
    const { looks, readiness } = harness();
    const waiting = Array.from({ length: 50 }, () => readiness());
    expect(looks).to.have.length(1);
    looks[0]!(READY);
    expect(await Promise.all(waiting)).to.deep.equal(Array(50).fill(READY));
  });

  it('answers from a look for a second from when it began, then looks again', async () => {
    const { clock, looks, readiness } = harness();
    const first = readiness();
    clock.now += 400; // the look took 400 ms
    looks[0]!(READY);
    await first;
    clock.now += 599;
    expect(await readiness()).to.equal(READY);
    expect(looks).to.have.length(1);
    clock.now += 1;
    const again = readiness();
    expect(looks).to.have.length(2);
    looks[1]!(DOWN);
    expect(await again).to.equal(DOWN);
  });

  it('keeps a failed look for its second too, and looks again after', async () => {
    const { clock, looks, readiness } = harness();
    const first = readiness();
    looks[0]!(DOWN);
    expect(await first).to.equal(DOWN);
    expect(await readiness()).to.equal(DOWN);
    expect(looks).to.have.length(1);
    clock.now += 1000;
    void readiness();
    expect(looks).to.have.length(2);
  });

  it('lets the next caller look again when a look throws', async () => {
    let calls = 0;
    const readiness = cachedReadiness(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('bug')) : Promise.resolve(READY);
    });
    await readiness().then(
      () => expect.fail('resolved'),
      (error: Error) => expect(error.message).to.equal('bug'),
    );
    expect(await readiness()).to.equal(READY);
    expect(calls).to.equal(2);
  });
});
