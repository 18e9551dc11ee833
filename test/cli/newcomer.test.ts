import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'dist/src/cli/index.js');

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, cwd }, (error, stdout, stderr) =>
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        out: stdout + stderr,
      }),
    );
  });
}

function serve(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; output: () => string; port: number }> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, ...env },
    cwd: ROOT,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(out)), 30000);
    child.stdout!.on('data', () => {
      const m = /listening on port (\d+)/.exec(out);
      if (m && /WSDL:/.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out, port: Number(m[1]) });
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

/** The README's path for a new user, every step through the real binary and a real client. */
describe('a newcomer on a fresh data directory', function () {
  this.timeout(120000);
  let dataDir: string;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-newcomer-'));
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts, creates a user, imports a suppression list, runs an example client, sees logs and metrics, explains', async () => {
    const env = {
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      MKTOWS_USERS: '',
      LOG_LEVEL: 'info',
      // Any free port: other services on this machine may hold the default one.
      METRICS_PORT: '0',
    };
    const first = await serve(env);
    const firstOut = first.output();
    expect(firstOut).to.match(/SOAP endpoint: http:\/\/localhost:\d+\/soap\/mktows\/2_9/);
    expect(firstOut).to.contain('a development user was created');
    // Its key is in a file of the data directory (the output is the log stream).
    const keyFile = path.join(dataDir, 'development-user.txt');
    expect(firstOut).to.contain(keyFile);
    const saved = fs.readFileSync(keyFile, 'utf8');
    const devUser = /mktowsUserId:\s+(\S+)/.exec(saved)?.[1];
    const devKey = /encryptionKey:\s+(\S+)/.exec(saved)?.[1];
    expect(devUser).to.be.a('string');
    const wsdl = `http://127.0.0.1:${first.port}/soap/mktows/2_9?WSDL`;

    // A second process opens the same SQLite file while the service runs.
    const added = await run(
      process.execPath,
      [BIN, 'users', 'add', '--description', 'newcomer'],
      env,
    );
    expect(added.code, added.out).to.equal(0);
    const userId = /mktowsUserId:\s+(\S+)/.exec(added.out)![1]!;
    const key = /encryptionKey:\s+(\S+)/.exec(added.out)![1]!;

    const csv = path.join(dataDir, 'suppressions.csv');
    fs.writeFileSync(csv, 'email,reason\nann@example.com,asked by letter\n');
    const imported = await run(process.execPath, [BIN, 'suppressions', 'import', csv], env);
    expect(imported.out).to.contain('1 row; 1 address suppressed');

    const py = await run(
      '/usr/bin/python3',
      ['quickstart.py', wsdl, userId, key, 'Ann@Example.com'],
      { PYTHONDONTWRITEBYTECODE: '1' },
      path.join(ROOT, 'examples/python'),
    );
    expect(py.code, py.out).to.equal(0);
    expect(py.out).to.match(/syncLead: lead \d+ CREATED/);
    // Suppressed by the import; the wire writes the boolean as the vendor did (1).
    expect(py.out).to.contain('Unsubscribed=1');
    const devCall = await run(
      '/usr/bin/python3',
      ['quickstart.py', wsdl, devUser!, devKey!, 'dev@example.com'],
      { PYTHONDONTWRITEBYTECODE: '1' },
      path.join(ROOT, 'examples/python'),
    );
    expect(devCall.code, devCall.out).to.equal(0);

    // Metrics are on their own loopback listener, which the banner names; not on the public port.
    expect((await fetch(`http://127.0.0.1:${first.port}/metrics`)).status).to.equal(404);
    const metricsUrl = /Metrics: +(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(first.output())?.[1];
    expect(metricsUrl, first.output()).to.be.a('string');
    const metrics = await (await fetch(metricsUrl!)).text();
    expect(metrics).to.match(/du_soap_calls_total\{operation="syncLead",outcome="ok"\} 2/);
    const logLine = first
      .output()
      .split('\n')
      .find((l) => l.includes('"operation":"syncLead"'));
    expect(JSON.parse(logLine!)).to.include({ userId, outcome: 'ok' });

    const explained = await run(process.execPath, [BIN, 'explain', 'ann@example.com'], env);
    expect(explained.out).to.contain('Master status: UNSUBSCRIBED');
    expect(explained.out).to.contain('asked by letter');
    expect(explained.out).to.match(/People holding it \(1\)/);

    expect(await stop(first.child)).to.equal(0);
    const second = await serve(env);
    expect(second.output()).to.not.contain('development user');
    expect(await stop(second.child)).to.equal(0);
  });
});
