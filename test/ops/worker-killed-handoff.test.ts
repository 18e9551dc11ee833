/**
 * A worker killed while a connection is on its way to it (WORKERS > 1): node's round-robin
 * cluster keeps the primary's copy of the connection until the worker says it took it, and a
 * worker killed first never says so. Before, that copy stayed open in the primary for ever: the
 * client waited on a connection no process would read (a client without a timeout, for ever).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { connectionsHeldBy, workersOf } from '../support/proc.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { BIN, embeddedEnv } from './support.js';

/** GET /healthz on a connection of its own: its status, or the error that ended it. */
function healthOnNewConnection(base: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(`${base}/healthz`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (e) => resolve(e.message));
    });
    req.on('error', (e) => resolve(e.message));
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a worker killed while a connection is handed to it (WORKERS=2)', function () {
  this.timeout(120000);
  let tmp: string;
  let service: ServiceProcess | undefined;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-handoff-'));
  });
  after(async () => {
    await service?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the connection is closed, not left open in the primary; the other worker serves on', async () => {
    service = await spawnService(embeddedEnv(path.join(tmp, 'data'), { WORKERS: '2' }), {
      built: true,
    });
    const running = service;
    const [victim, survivor] = workersOf(running.pid);
    expect(survivor, 'two workers').to.be.a('number');
    // The victim cannot answer the hand-off while stopped; the primary deals connections in
    // turn, so of two new connections one is handed to it (the other is answered).
    process.kill(victim!, 'SIGSTOP');
    const calls = [healthOnNewConnection(running.base), healthOnNewConnection(running.base)];
    const first = await Promise.race(calls);
    expect(first).to.equal('200');
    // The primary holds the one on its way to the victim, for as long as the victim is silent.
    let held = 0;
    for (let i = 0; i < 200 && held === 0; i++) {
      held = connectionsHeldBy(running.pid, running.port);
      if (held === 0) await pause(25);
    }
    expect(held, 'a connection on its way to the stopped worker').to.equal(1);

    process.kill(victim!, 'SIGKILL');
    // Its client is told: the connection ends (nothing of the request was read). Before, it
    // stayed open (the bound only keeps the failure short).
    const ended = await Promise.race([Promise.all(calls), pause(20000).then(() => ['still open'])]);
    expect(ended).to.not.include('still open');
    expect(ended.filter((r) => r !== '200')).to.have.length(1);
    expect(connectionsHeldBy(running.pid, running.port)).to.equal(0);
    const said = `worker process ${victim} exited`;
    for (let i = 0; i < 200 && !running.output().includes(said); i++) await pause(25);
    expect(running.output()).to.match(
      new RegExp(`"connectionsClosed":1.*worker process ${victim} exited by signal SIGKILL`),
    );
    expect(await healthOnNewConnection(running.base)).to.equal('200');
  });
});
