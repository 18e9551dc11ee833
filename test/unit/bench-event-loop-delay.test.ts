import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventLoopDelay } from '../../bench/lib/event-loop.js';
import { EVENT_LOOP_SAMPLE_MS, Metrics } from '../../src/metrics.js';

const gaugeOf = (text: string, name: string) => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} missing`);
  return Number(m[1]);
};

describe('bench: the event-loop delay is how late the loop ran, not the sampling period', () => {
  it("the service's lag gauges read a whole sampling period on an idle loop", async () => {
    // The premise of the subtraction below: each sample spans the timer's period, so a loop
    // that does nothing still reads about EVENT_LOOP_SAMPLE_MS, never about zero.
    const metrics = new Metrics();
    await metrics.registry.metrics(); // a scrape resets the histogram
    await new Promise((r) => setTimeout(r, 20 * EVENT_LOOP_SAMPLE_MS));
    const text = await metrics.registry.metrics();
    // The mean, not the min: a tick late in a loaded loop is followed by a short one (the timer
    // is re-armed from the loop's cached time), but ticks never come more often than the period
    // on average.
    const mean = gaugeOf(text, 'du_nodejs_eventloop_lag_mean_seconds') * 1000;
    expect(mean).to.be.at.least(EVENT_LOOP_SAMPLE_MS * 0.8);
    metrics.registry.clear();
  });

  describe('read from /metrics', () => {
    let server: http.Server;
    let url: string;
    let p99 = 0;
    let max = 0;
    before(async () => {
      server = http.createServer((_req, res) => {
        res.end(
          `du_nodejs_eventloop_lag_p99_seconds ${p99}\n` +
            `du_nodejs_eventloop_lag_max_seconds ${max}\n`,
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('takes the sampling period off each gauge and keeps the gauges as read', async () => {
      p99 = 0.02133;
      max = 0.0335;
      const delay = await eventLoopDelay(url);
      expect(delay.gauge).to.deep.equal({ p99Ms: 21.33, maxMs: 33.5 });
      expect(delay.p99Ms).to.be.closeTo(21.33 - EVENT_LOOP_SAMPLE_MS, 0.005);
      expect(delay.maxMs).to.be.closeTo(33.5 - EVENT_LOOP_SAMPLE_MS, 0.005);
    });

    it('reads a gauge under the period (a timer a little early) as no delay, never below', async () => {
      p99 = (EVENT_LOOP_SAMPLE_MS - 0.4) / 1000;
      max = (EVENT_LOOP_SAMPLE_MS + 0.25) / 1000;
      const delay = await eventLoopDelay(url);
      expect(delay.p99Ms).to.equal(0);
      expect(delay.maxMs).to.be.closeTo(0.25, 0.005);
    });
  });
});
