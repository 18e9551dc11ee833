import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import {
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../support/service-process.js';

/**
 * GET ?WSDL is open to anyone. Made afresh for each request (the 77 KB text with its address
 * replaced, then encoded), it cost 1.2 to 1.6 ms of CPU, seven to ten times a /healthz: a few
 * hundred unauthenticated GETs a second took a core. The bytes around the address are now
 * encoded once, at start.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

/** CPU the process has used (user and system), in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The CPU ticks the service spends answering `count` GETs of `target`, eight at a time. */
async function cpuOf(service: ServiceProcess, target: string, count: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const get = () =>
    new Promise<void>((resolve, reject) =>
      http
        .get({ port: service.port, host: '127.0.0.1', path: target, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject),
    );
  const before = cpuTicks(service.pid);
  for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: 8 }, get));
  const used = cpuTicks(service.pid) - before;
  agent.destroy();
  return used;
}

// No storage is involved: one engine is enough.
describe('GET ?WSDL, asked by anyone', function () {
  this.timeout(180000);
  let service: ServiceProcess;
  let drop: () => Promise<void>;
  before(async () => {
    const database = await freshServiceDatabase(testEngines()[0]!);
    drop = database.drop;
    service = await spawnService({ ...database.env, WORKERS: '1' });
  });
  after(async () => {
    await service?.stop();
    await drop?.();
  });

  it('is the WSDL with the address it was fetched from', async () => {
    const wsdl = fs.readFileSync(path.join(ROOT, 'wsdl/mktows.wsdl'), 'utf8');
    const answer = await fetch(`${service.base}/soap/mktows/2_9%22%3C?WSDL`);
    expect(answer.status).to.equal(200);
    const expected = wsdl.replace(
      /(<soap:address\s+location=")[^"]*(")/,
      `$1http://127.0.0.1:${service.port}/soap/mktows/2_9%22%3C$2`,
    );
    expect(await answer.text()).to.equal(expected);
  });

  it('costs about what a /healthz costs, not ten times as much', async () => {
    // Warmed up first; then rounds of each in turn, so that a busy spell weighs on both.
    await cpuOf(service, '/soap/mktows/2_9?WSDL', 200);
    await cpuOf(service, '/healthz', 200);
    let wsdl = 0;
    let health = 0;
    for (let round = 0; round < 3; round++) {
      wsdl += await cpuOf(service, '/soap/mktows/2_9?WSDL', 400);
      health += await cpuOf(service, '/healthz', 400);
    }
    // Before: 7 to 10 times. Now about 2 (77 KB written to the socket is not free).
    expect(
      wsdl / Math.max(health, 1),
      `${wsdl} ticks for the WSDL, ${health} for /healthz`,
    ).to.be.below(4.5);
  });
});
