/**
 * A worker process that dies under WORKERS=2 (kill -9): what becomes of the connections around
 * its death, on the built binary.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { connectionsHeldBy, workersOf } from '../support/proc.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { BIN, embeddedEnv } from './support.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 25 ms until it gives a value (or `tries` run out: undefined). */
async function poll<T>(probe: () => T | undefined, tries = 1200): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await pause(25);
  }
  return undefined;
}

/**
 * GET /healthz on a connection of its own: its status, or the error that ended it; `check`
 * runs once the answer came, the connection still open (kept alive).
 */
function healthOnNewConnection<T>(
  base: string,
  check: () => T,
): Promise<{ status: string; seen: T | undefined }> {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve) => {
    const ended = (status: string, seen?: T) => {
      agent.destroy();
      resolve({ status, seen });
    };
    const req = http.get(`${base}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => ended(String(res.statusCode), check()));
      res.on('error', (e) => ended(e.message));
    });
    req.on('error', (e) => ended(e.message));
  });
}

describe('WORKERS=2: a worker killed outright, and the connections around its death', function () {
  this.timeout(120000);
  let tmp: string;
  let service: ServiceProcess;
  /** The built service with two workers on a fresh DATA_DIR; `settings` added. */
  const serve = async (settings: Record<string, string> = {}) => {
    const dataDir = fs.mkdtempSync(path.join(tmp, 'data-'));
    service = await spawnService(embeddedEnv(dataDir, { WORKERS: '2', ...settings }), {
      built: true,
    });
  };
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-worker-deaths-'));
  });
  afterEach(() => service.stop());
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // node's round-robin cluster keeps the primary's copy of a connection until the worker says
  // it took it. Before, the copy of one handed to a worker killed first stayed open in the
  // primary for ever: its client waited on a connection no process would read.
  it('a connection on its way to it is closed, not left open in the primary', async () => {
    await serve();
    const [victim, survivor] = workersOf(service.pid);
    expect(survivor, 'two workers').to.be.a('number');
    // The victim cannot answer the hand-off while stopped; the primary deals connections in
    // turn, so of two new connections one is handed to it (the other is answered).
    process.kill(victim!, 'SIGSTOP');
    const calls = [1, 2].map(() => healthOnNewConnection(service.base, () => null));
    expect((await Promise.race(calls)).status).to.equal('200');
    const held = await poll(() => connectionsHeldBy(service.pid, service.port) || undefined);
    expect(held, 'the connection on its way to the stopped worker').to.equal(1);

    process.kill(victim!, 'SIGKILL');
    // Its client is told: the connection ends (nothing of the request was read). The bound
    // only keeps the failure short (it stayed open).
    const ended = await Promise.race([
      Promise.all(calls).then((answers) => answers.map((a) => a.status)),
      pause(20000).then(() => ['still open']),
    ]);
    expect(ended).to.not.include('still open');
    expect(ended.filter((status) => status !== '200')).to.have.length(1);
    expect(connectionsHeldBy(service.pid, service.port)).to.equal(0);
    const said = `worker process ${victim} exited`;
    await poll(() => (service.output().includes(said) ? true : undefined), 200);
    expect(service.output()).to.match(
      new RegExp(`"connectionsClosed":1.*worker process ${victim} exited by signal SIGKILL`),
    );
    expect((await healthOnNewConnection(service.base, () => null)).status).to.equal('200');
  });

  // Before, the replacement listened from the first moment of its start and answered its
  // share of the new connections "503 Starting" while the other worker served.
  it('its replacement gets no connection before it serves: the other answers them all', async () => {
    await serve();
    const [victim, survivor] = workersOf(service.pid);
    process.kill(victim!, 'SIGKILL');
    const replacement = await poll(() =>
      workersOf(service.pid).find((pid) => pid !== victim && pid !== survivor),
    );
    expect(replacement, 'a replacement worker').to.be.a('number');
    // New connections one after another until one is answered by the replacement.
    const statuses: string[] = [];
    let byReplacement = false;
    for (let i = 0; i < 5000 && !byReplacement; i++) {
      const { status, seen } = await healthOnNewConnection(
        service.base,
        () => connectionsHeldBy(replacement!, service.port) > 0,
      );
      statuses.push(status);
      byReplacement = seen === true && status === '200';
    }
    expect(byReplacement, 'the replacement serves').to.equal(true);
    expect(statuses.filter((s) => s !== '200')).to.deep.equal([]);
  });

  // Before, a scrape asked every connected worker (a starting one included, which never
  // answered) and waited for a dead one: each failed after 5 s while a worker was replaced.
  it('/metrics answers with the serving workers while one dies and its replacement starts', async () => {
    await serve({ METRICS_PORT: '0' });
    const port = /Metrics:\s+http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(service.output())?.[1];
    expect(port, service.output()).to.be.a('string');
    const scrape = () =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    const [victim, survivor] = workersOf(service.pid);
    // A scrape that waits for the stopped victim's metrics when the victim is killed.
    process.kill(victim!, 'SIGSTOP');
    const waiting = scrape();
    await pause(200);
    process.kill(victim!, 'SIGKILL');
    const during = await waiting;
    expect(during.status, during.text).to.equal(200);
    expect(during.text).to.match(/^# HELP du_soap_calls_total /m);
    // Its replacement, stopped while it starts: not asked, the scrape is answered.
    const replacement = await poll(() =>
      workersOf(service.pid).find((pid) => pid !== victim && pid !== survivor),
    );
    expect(replacement, 'a replacement worker').to.be.a('number');
    process.kill(replacement!, 'SIGSTOP');
    try {
      const starting = await scrape();
      expect(starting.status, starting.text).to.equal(200);
    } finally {
      process.kill(replacement!, 'SIGCONT');
    }
  });
});
