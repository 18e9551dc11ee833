/**
 * The service's event loop under load, and while the database is busy: the delay p99 comes
 * from the service itself (prom-client's du_nodejs_eventloop_lag_* gauges, measured with
 * perf_hooks.monitorEventLoopDelay and reset at each scrape of /metrics). Each of those
 * samples is a whole period of the sampling timer; the delay is what it took beyond it.
 */
import type { Database } from '../../src/data-access/database.js';
import { EVENT_LOOP_SAMPLE_MS } from '../../src/metrics.js';
import type { LoadFigures } from './load.js';

export interface EventLoopFigures {
  /**
   * Event-loop delay of the service while getLead and syncLead calls run together: how late
   * its loop ran (the gauges less their sampling period); `gauge` holds the gauges as read.
   */
  mixedLoad: {
    p99Ms: number;
    maxMs: number;
    gauge: { p99Ms: number; maxMs: number };
    requests: number;
    failures: number;
  };
  /**
   * /healthz answered one after another while the database is held busy for `busyMs`, with
   * writes waiting for it; null on PostgreSQL (its driver never holds the event loop).
   */
  healthzWhileBusy: {
    busyMs: number;
    p99Ms: number;
    maxMs: number;
    samples: number;
    /** The writes that waited for the database all succeeded once it was free. */
    writesOk: boolean;
    /** Each write that did not: its HTTP status and fault, as answered. */
    writeFailures: string[];
  } | null;
}

const ms = (seconds: number) => Math.round(seconds * 1000 * 100) / 100;

/**
 * How late the service's event loop ran, from the delay gauges of its /metrics (a scrape also
 * resets them): each gauge less the period of the timer that samples the loop, which an idle
 * loop reads (the gauge's p50 about 10.1 ms with a 10 ms period); `gauge` keeps them as read.
 */
export async function eventLoopDelay(
  metricsUrl: string,
): Promise<{ p99Ms: number; maxMs: number; gauge: { p99Ms: number; maxMs: number } }> {
  const text = await (await fetch(metricsUrl)).text();
  const gauge = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`${name} missing from ${metricsUrl}`);
    return Number(m[1]);
  };
  const p99 = gauge('du_nodejs_eventloop_lag_p99_seconds');
  const max = gauge('du_nodejs_eventloop_lag_max_seconds');
  const late = (seconds: number) => Math.max(0, ms(seconds - EVENT_LOOP_SAMPLE_MS / 1000));
  return {
    p99Ms: late(p99),
    maxMs: late(max),
    gauge: { p99Ms: ms(p99), maxMs: ms(max) },
  };
}

/** Runs the load (several drives at once) between two scrapes: the delay of that span alone. */
export async function delayUnderLoad(
  metricsUrl: string,
  load: ReadonlyArray<() => Promise<LoadFigures>>,
): Promise<EventLoopFigures['mixedLoad']> {
  await eventLoopDelay(metricsUrl);
  const figures = await Promise.all(load.map((run) => run()));
  const delay = await eventLoopDelay(metricsUrl);
  return {
    ...delay,
    requests: figures.reduce((n, f) => n + f.requests, 0),
    failures: figures.reduce((n, f) => n + f.failures, 0),
  };
}

/**
 * Waits until the service has answered every call a load generator left behind: at its
 * deadline the generator closes its connections, but each call it abandoned runs to its end
 * and holds its user's place under CONCURRENCY_LIMIT until then. Settled: the answered-calls
 * counter unchanged between two scrapes `quietMs` apart.
 */
export async function settledCalls(metricsUrl: string, quietMs = 250, giveUpMs = 10_000) {
  const answered = async () => {
    const text = await (await fetch(metricsUrl)).text();
    let n = 0;
    for (const m of text.matchAll(/^du_soap_calls_total\{[^}]*\} (\S+)$/gm)) n += Number(m[1]);
    return n;
  };
  const giveUp = Date.now() + giveUpMs;
  let before = await answered();
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = await answered();
    if (now === before || Date.now() > giveUp) return;
    before = now;
  }
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/**
 * Another process (this one, as the command line would) holds the SQLite write lock for
 * `busyMs`: the service's writes wait for it, as behind a slow statement or a slow COMMIT.
 * Meanwhile /healthz is called one request after another; its p99 is what a load balancer
 * sees.
 */
export async function healthzWhileBusy(
  base: string,
  database: Database,
  busyMs: number,
  /** Sends one write; resolves to null when it succeeded, else what was answered. */
  write: () => Promise<string | null>,
): Promise<NonNullable<EventLoopFigures['healthzWhileBusy']>> {
  let locked!: () => void;
  const lockTaken = new Promise<void>((resolve) => (locked = resolve));
  const holding = database.knex.transaction(async (trx) => {
    // BEGIN IMMEDIATE (database.ts) took the write lock; a statement makes it visible to knex.
    await trx.raw('SELECT 1');
    locked();
    await new Promise((r) => setTimeout(r, busyMs));
  });
  await lockTaken;
  const until = Date.now() + busyMs;
  const writes = Array.from({ length: 4 }, write);
  const latencies: number[] = [];
  while (Date.now() < until) {
    const started = performance.now();
    const res = await fetch(`${base}/healthz`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    latencies.push(performance.now() - started);
  }
  await holding;
  const writeFailures = (await Promise.all(writes)).filter((f): f is string => f !== null);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    busyMs,
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(Math.max(...latencies)),
    samples: latencies.length,
    writesOk: writeFailures.length === 0,
    writeFailures,
  };
}
