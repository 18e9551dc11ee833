/**
 * The ports a start left to the system. PORT=0 (or METRICS_PORT=0) binds any free port; the
 * banner names it, but only once the database is reached and migrated. While the service still
 * starts (a PostgreSQL it waits for) it already answers 503 on that port, and says which port it
 * is in one line, `ports bound while starting`, as soon as both are bound: a supervisor or a test
 * learns the port it got, instead of choosing a number that another process may take first. A
 * start on numbers given says nothing new.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { onFreePort, PortTaken, unreachablePostgresUrl } from '../support/ports.js';
import { BIN, eventually, serveAtInfo, type Spawned } from './support.js';

interface PortsLine {
  msg: string;
  port?: number;
  metricsPort?: number | null;
}

const portsLines = (output: string): PortsLine[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as PortsLine)
    .filter((line) => line.msg === 'ports bound while starting');

async function stopped(run: Spawned): Promise<void> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM');
  await run.exited;
}

describe('the ports a start bound, said while it starts', function () {
  this.timeout(90000);
  let dir: string;

  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-ports-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('PORT=0 and METRICS_PORT=0 while PostgreSQL is waited for: one line with both, each answering 503', async () => {
    const run = serveAtInfo({ DATABASE_URL: unreachablePostgresUrl(), METRICS_PORT: '0' });
    try {
      const said = await eventually(() => portsLines(run.output()).length > 0, 60000);
      expect(said, run.output()).to.equal(true);
      const [line, ...more] = portsLines(run.output());
      expect(more, run.output()).to.deep.equal([]);
      expect(line!.port).to.be.a('number').and.above(0);
      expect(line!.metricsPort).to.be.a('number').and.above(0);
      expect(line!.metricsPort).to.not.equal(line!.port);
      for (const [port, path] of [
        [line!.port!, '/healthz'],
        [line!.metricsPort!, '/metrics'],
      ] as const) {
        const answer = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(answer.status, `${port}${path}`).to.equal(503);
        expect(await answer.text()).to.equal('Starting\n');
      }
    } finally {
      await stopped(run);
    }
  });

  it('PORT=0: the port said while starting is the one the banner names once serving', async () => {
    const run = serveAtInfo({ DATABASE_URL: '', DATA_DIR: path.join(dir, 'zero') });
    try {
      const served = await run.port;
      const lines = portsLines(run.output());
      expect(lines, run.output()).to.have.length(1);
      expect(lines[0]).to.include({ port: served, metricsPort: null });
      const ready = await fetch(`http://127.0.0.1:${served}/healthz`);
      expect(ready.status).to.equal(200);
    } finally {
      await stopped(run);
    }
  });

  it('a PORT given: no such line (the operator chose the number)', async () => {
    const run = await onFreePort('the service', async (port) => {
      const started = serveAtInfo({
        DATABASE_URL: '',
        DATA_DIR: path.join(dir, 'given'),
        PORT: String(port),
      });
      try {
        await started.port;
      } catch (error) {
        if (/is in use \(set PORT\)/.test(started.output())) throw new PortTaken(started.output());
        throw error;
      }
      return { started, port };
    });
    try {
      expect(await run.started.port).to.equal(run.port);
      expect(portsLines(run.started.output()), run.started.output()).to.deep.equal([]);
    } finally {
      await stopped(run.started);
    }
  });
});
