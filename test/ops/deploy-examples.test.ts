import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import pg from 'pg';
import { awaitListeningLogged, logOffset, onFreePort } from '../support/ports.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { killPid, pidFrom } from '../topology/scratch.js';
import { cli, ROOT, toolOrSkip } from './support.js';

const HAPROXY_CFG = path.join(ROOT, 'deploy', 'haproxy.cfg');
const PGBOUNCER_INI = path.join(ROOT, 'deploy', 'pgbouncer.ini');

/** `ini` with each `key = value` line of `values` given its new value (the key must be there). */
function withValues(ini: string, values: Record<string, string>): string {
  let out = ini;
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^${key} = .*$`, 'm');
    expect(out, key).to.match(line);
    out = out.replace(line, `${key} = ${value}`);
  }
  return out;
}

describe('the HAProxy and PgBouncer examples of deploy/', function () {
  this.timeout(180000);

  it('deploy/haproxy.cfg passes "haproxy -c" and checks /healthz', function () {
    const haproxy = toolOrSkip(this, 'haproxy', 'apt-get install haproxy');
    const r = spawnSync(haproxy, ['-c', '-f', HAPROXY_CFG], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    const cfg = fs.readFileSync(HAPROXY_CFG, 'utf8');
    expect(cfg).to.match(/^\s*option httpchk GET \/healthz$/m);
    expect(cfg).to.match(/^\s*option http-server-close$/m);
  });

  it('deploy/pgbouncer.ini runs in transaction mode and the CLI migrates and writes through it', async function () {
    const base = process.env.DATABASE_URL;
    if (!base) {
      console.log('      (skipped: DATABASE_URL is not set)');
      return this.skip();
    }
    const pgbouncer = toolOrSkip(this, 'pgbouncer', 'apt-get install pgbouncer');
    const server = new URL(base);
    const user = decodeURIComponent(server.username) || 'postgres';
    const name = `du_pgb_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${name}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-pgbouncer-'));
    fs.chmodSync(dir, 0o777);
    const pidFile = path.join(dir, 'pgbouncer.pid');
    try {
      const password = crypto.randomBytes(12).toString('hex');
      fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" "${password}"\n`);
      const target = `host=${server.hostname} port=${server.port || 5432} dbname=${name}`;
      const logFile = path.join(dir, 'pgbouncer.log');
      const iniFile = path.join(dir, 'pgbouncer.ini');
      // A port picked again when the one picked was taken meanwhile (PgBouncer logs it so).
      const port = await onFreePort('PgBouncer', async (picked) => {
        const ini = withValues(fs.readFileSync(PGBOUNCER_INI, 'utf8'), {
          du: target,
          du_standby: target,
          listen_addr: '127.0.0.1',
          listen_port: String(picked),
          auth_file: path.join(dir, 'userlist.txt'),
          admin_users: user,
          logfile: logFile,
          pidfile: pidFile,
        });
        expect(ini).to.match(/^pool_mode = transaction$/m);
        fs.writeFileSync(iniFile, ini);
        for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
        const offset = logOffset(logFile);
        // PgBouncer refuses to run as root.
        const asRoot = process.getuid?.() === 0;
        execFileSync(
          asRoot ? 'runuser' : pgbouncer,
          asRoot ? ['-u', 'postgres', '--', pgbouncer, '-d', '-q', iniFile] : ['-d', '-q', iniFile],
          { stdio: 'pipe', timeout: 30000 },
        );
        await awaitListeningLogged('PgBouncer', logFile, offset, picked);
        return picked;
      });
      const url = `postgres://${encodeURIComponent(user)}:${password}@127.0.0.1:${port}/du`;
      for (let i = 0; ; i++) {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
        try {
          await client.connect();
          await client.query('select 1');
          await client.end();
          break;
        } catch (error) {
          await client.end().catch(() => undefined);
          if (i > 50) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const env = { DATABASE_URL: url, USER_KEY_SECRET: TEST_KEY_SECRET, MKTOWS_USERS: '' };
      const migrated = await cli(['migrate'], env);
      expect(migrated.code, migrated.stderr).to.equal(0);
      const added = await cli(['users', 'add', '--id', 'erp'], env);
      expect(added.code, added.stderr).to.equal(0);
      const suppressed = await cli(
        ['suppressions', 'add', 'ann@example.com', '--reason', 'asked'],
        env,
      );
      expect(suppressed.code, suppressed.stderr).to.equal(0);
      const verified = await cli(['verify'], env);
      expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
      const status = await cli(['migrate', 'status'], env);
      expect(status.stdout).to.not.contain('pending');
    } finally {
      killPid(pidFrom(pidFile), 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    }
  });
});
