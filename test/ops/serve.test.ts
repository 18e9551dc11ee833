import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { DEVELOPMENT_USER_FILE } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { BIN, cli, ROOT, spawnCollecting } from './support.js';

const VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('starting and stopping the service', function () {
  this.timeout(120000);
  let tmp: string;

  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-serve-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a port in use stops the start with one line and exit code 1, creating nothing', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    const dataDir = path.join(tmp, 'never-created');
    try {
      const r = await cli(['serve'], {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        MKTOWS_USERS: '',
      });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(`port ${port} is in use (set PORT)\n`);
      expect(r.stdout).to.equal('');
      expect(fs.existsSync(dataDir), 'data directory').to.equal(false);
    } finally {
      taken.close();
    }
  });

  it('a METRICS_PORT in use stops the start with one line naming it, creating nothing', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    const dataDir = path.join(tmp, 'never-created-metrics');
    try {
      const r = await cli(['serve'], {
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: String(port),
        METRICS_HOST: '127.0.0.1',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        MKTOWS_USERS: '',
      });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^Configuration error: METRICS_PORT: cannot listen on .*\n$/);
      expect(r.stdout).to.equal('');
      expect(fs.existsSync(dataDir), 'data directory').to.equal(false);
    } finally {
      taken.close();
    }
  });

  it('a DATA_DIR that cannot hold the database stops serve and the commands with one line naming it', async () => {
    // Before: mkdir's own error and its stack trace, naming no setting.
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const holder = path.join(tmp, 'file-named-like-the-database');
    fs.mkdirSync(path.join(holder, SQLITE_FILE_NAME), { recursive: true });
    const cases: Array<[string[], string, RegExp]> = [
      [['serve'], file, /it is a file, not a directory/],
      [['verify'], path.join(file, 'sub'), /a part of the path is a file, not a directory/],
      [['suppressions', 'export'], holder, /is a directory, not a file/],
    ];
    for (const [args, dataDir, why] of cases) {
      const r = await cli(args, {
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: 'off',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        MKTOWS_USERS: '',
      });
      expect(r.code, args.join(' ')).to.equal(1);
      expect(r.stderr.split('\n'), r.stderr).to.have.length(2);
      expect(r.stderr).to.match(
        new RegExp(`^Configuration error: DATA_DIR: cannot keep the database in ${dataDir}: `),
      );
      expect(r.stderr).to.match(why);
      expect(r.stdout).to.equal('');
    }
  });

  it('serve refuses arguments (settings are environment variables) instead of ignoring them', async () => {
    const r = await cli(['serve', '--port', '9000'], { PORT: '0', DATABASE_URL: '' });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('PORT=9000');
    expect(r.stdout).to.equal('');
  });

  it('prints its version', async () => {
    const r = await cli(['--version'], {});
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(`durable-unsubscribe ${VERSION}\n`);
  });

  it('the first start writes the development user to a 0600 file, never to the log stream; the data stays private', async () => {
    const dataDir = path.join(tmp, 'first-start');
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      MKTOWS_USERS: '',
      LOG_LEVEL: 'info',
    };
    const first = spawnCollecting(process.execPath, [BIN, 'serve'], env);
    const port = await first.port;
    try {
      const keyFile = path.join(dataDir, DEVELOPMENT_USER_FILE);
      const saved = fs.readFileSync(keyFile, 'utf8');
      const key = /encryptionKey:\s+(\S+)/.exec(saved)?.[1];
      expect(key).to.match(/^[0-9A-F]{48}$/);
      expect(first.output()).to.not.contain(key!);
      expect(first.output()).to.contain(keyFile);
      expect(first.output()).to.contain(`durable-unsubscribe ${VERSION} listening`);
      expect(mode(keyFile).toString(8)).to.equal('600');
      expect(mode(dataDir).toString(8)).to.equal('700');
      const db = path.join(dataDir, SQLITE_FILE_NAME);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) {
        expect(fs.existsSync(f), f).to.equal(true);
        expect(mode(f).toString(8), f).to.equal('600');
      }
      for (const f of fs.readdirSync(dataDir))
        expect(mode(path.join(dataDir, f)) & 0o077, f).to.equal(0);

      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as object;
      expect(health).to.deep.include({ status: 'ok', version: VERSION });
      const index = await fetch(`http://127.0.0.1:${port}/`);
      expect(index.status).to.equal(200);
      expect(await index.json()).to.deep.include({
        version: VERSION,
        soapEndpoint: '/soap/mktows/2_9',
        wsdl: '/soap/mktows/2_9?WSDL',
        operatorPages: '/admin/',
      });
      const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      expect(await page.text()).to.contain('href="/soap/mktows/2_9?WSDL"');
    } finally {
      first.child.kill('SIGTERM');
    }
    expect((await first.exited).code).to.equal(0);

    const second = spawnCollecting(process.execPath, [BIN, 'serve'], env);
    await second.port;
    expect(second.output()).to.not.contain('development user');
    second.child.kill('SIGINT');
    expect((await second.exited).code).to.equal(0);
  });

  it('an older data directory and database readable by others are made private', async () => {
    const dataDir = path.join(tmp, 'old-modes');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const db = path.join(dataDir, SQLITE_FILE_NAME);
    fs.writeFileSync(db, '', { mode: 0o644 });
    fs.chmodSync(db, 0o644);
    const r = await cli(['migrate', 'status'], { DATABASE_URL: '', DATA_DIR: dataDir });
    expect(r.code, r.stderr).to.equal(0);
    expect(mode(dataDir).toString(8)).to.equal('700');
    expect(mode(db).toString(8)).to.equal('600');
  });

  for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
    it('creates no development user on PostgreSQL: it says how to add one', async () => {
      const made = await engine.create();
      try {
        const s = spawnCollecting(process.execPath, [BIN, 'serve'], {
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: made.url,
          USER_KEY_SECRET: 'a-sealing-secret-for-this-test',
          MKTOWS_USERS: '',
          LOG_LEVEL: 'info',
        });
        await s.port;
        s.child.kill('SIGTERM');
        await s.exited;
        expect(s.output()).to.not.contain('development user');
        expect(s.output()).to.contain('users add');
        expect(await made.db.knex('mktows_users').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      } finally {
        await made.drop();
      }
    });
  }
});

describe('DATABASE_URL at start', function () {
  this.timeout(60000);

  for (const [url, says] of [
    ['mysql://app:hunter2secret@db/durable', /DATABASE_URL: "mysql" is not supported/],
    ['sqlite:./x.db', /DATABASE_URL: leave it empty for the embedded SQLite database/],
    ['notaurl', /DATABASE_URL is not a URL/],
    ['postgres:///durable', /DATABASE_URL names no host/],
  ] as const) {
    it(`"${url}" is refused in one line naming DATABASE_URL`, async () => {
      const r = await cli(['serve'], { DATABASE_URL: url, PORT: '0' });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(says);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.not.contain('hunter2secret');
      expect(r.stderr).to.not.match(/\n\s+at /);
    });
  }

  it('an unreachable database: the service says it retries, names the host, never the password, and stops on SIGTERM', async () => {
    const url = 'postgres://app:hunter2secret@127.0.0.1:9/durable';
    const s = spawnCollecting(process.execPath, [BIN, 'serve'], {
      DATABASE_URL: url,
      USER_KEY_SECRET: 'a-sealing-secret-for-this-test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    for (let i = 0; i < 600 && !/retrying/.test(s.output()); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(s.output()).to.match(
      /PostgreSQL at 127\.0\.0\.1:9 \(DATABASE_URL\) is unreachable \(ECONNREFUSED\); retrying in \d+ s/,
    );
    expect(s.output()).to.not.contain('hunter2secret');
    expect(s.output(), 'no stack trace').to.not.match(/^\s+at /m);
    s.child.kill('SIGTERM');
    expect((await s.exited).code).to.equal(0);
  });

  it('a server that closes every connection (not PostgreSQL, a proxy without a backend) is retried in one line, never a stack trace', async () => {
    const closer = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    const port = (closer.address() as net.AddressInfo).port;
    let s: ReturnType<typeof spawnCollecting> | null = null;
    try {
      s = spawnCollecting(process.execPath, [BIN, 'serve'], {
        DATABASE_URL: `postgres://app:hunter2secret@127.0.0.1:${port}/durable`,
        USER_KEY_SECRET: 'a-sealing-secret-for-this-test',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      });
      for (let i = 0; i < 600 && !/retrying|\n\s+at /.test(s.output()); i++)
        await new Promise((r) => setTimeout(r, 50));
      // pg reports the close as the end of the connection; on a loaded machine the socket may
      // be reset while pg still writes its startup message, or the attempt outlive its time.
      expect(s.output(), s.output()).to.match(
        new RegExp(
          `PostgreSQL at 127\\.0\\.0\\.1:${port} \\(DATABASE_URL\\) (closed the connection|is unreachable \\(ECONNRESET\\)|did not (accept|answer) [^;]*in time)[^;]*; retrying in \\d+ s`,
        ),
      );
      expect(s.output(), 'no stack trace').to.not.match(/^\s+at /m);
      expect(s.output()).to.not.contain('hunter2secret');
      s.child.kill('SIGTERM');
      expect((await s.exited).code).to.equal(0);
    } finally {
      // A failed expectation must not leave the service running (and holding its ports).
      if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
      closer.close();
    }
  });

  it('a command on an unreachable database fails in one line naming the host', async () => {
    const r = await cli(['verify'], {
      DATABASE_URL: 'postgres://app:hunter2secret@127.0.0.1:9/durable',
    });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      'PostgreSQL at 127.0.0.1:9 (DATABASE_URL) is unreachable (ECONNREFUSED)\n',
    );
  });

  // A server that answers, but not to this user or for this database: the start waits (the
  // role or database may be being created), saying why in one line; a command stops with it.
  const server = process.env.DATABASE_URL;
  const refusals: Array<[string, (url: URL) => void, RegExp]> = [
    [
      'a database that does not exist',
      (url) => (url.pathname = '/du_no_such_database_here'),
      /the database named in DATABASE_URL does not exist \(3D000\)/,
    ],
    [
      'a user the server refuses',
      (url) => {
        url.username = 'du_no_such_role_here';
        url.password = 'hunter2secret';
      },
      /refused the user or password of DATABASE_URL \((28P01|28000)\)/,
    ],
  ];
  for (const [what, change, line] of refusals) {
    it(`${what}: the start retries in one line naming DATABASE_URL, a command exits 1 with it`, async function () {
      if (!server) return this.skip();
      const url = new URL(server);
      change(url);
      const env = {
        DATABASE_URL: url.toString(),
        USER_KEY_SECRET: 'a-sealing-secret-for-this-test',
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: 'off',
        LOG_LEVEL: 'info',
      };
      const s = spawnCollecting(process.execPath, [BIN, 'serve'], env);
      try {
        for (let i = 0; i < 600 && !/retrying|\n\s+at /.test(s.output()); i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(s.output()).to.match(new RegExp(`${line.source}; retrying in \\d+ s`));
        expect(s.output(), 'no stack trace').to.not.match(/^\s+at /m);
        expect(s.output()).to.not.contain('hunter2secret');
        s.child.kill('SIGTERM');
        expect((await s.exited).code).to.equal(0);
      } finally {
        if (s.child.exitCode === null) s.child.kill('SIGKILL');
      }
      const r = await cli(['verify'], env);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(line).and.not.contain('hunter2secret');
    });
  }
});
