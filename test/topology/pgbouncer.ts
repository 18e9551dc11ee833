/**
 * PgBouncer (the Debian package) in transaction pooling mode on loopback. Database `du` goes to
 * the primary, `du_standby` to the standby; any other name goes to the primary too (the tests'
 * fresh databases). Re-pointing after a failover rewrites the file and sends RELOAD on the
 * admin console: PgBouncer then closes the server connections to the old address.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { awaitListeningLogged, logOffset, onFreePort } from '../support/ports.js';
import { SETTLE_MS, settle } from '../support/wait.js';
import { killPid, pidFrom, type Scratch } from './scratch.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncerTargets {
  primaryPort: number;
  standbyPort?: number;
}

export interface PgBouncer {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/DB through the pooler. */
  url(database: string): string;
  /** Points the databases at new servers (RELOAD): the scripted half of a failover. */
  repoint(targets: PgBouncerTargets): Promise<void>;
  /** A command on the admin console (SHOW POOLS, RELOAD…); rows as objects. */
  admin(command: string): Promise<Array<Record<string, unknown>>>;
  stop(): void;
  log(): string;
}

export interface PgBouncerSettings {
  /** Server connections per database/user pair. */
  poolSize?: number;
  /** Seconds a client may wait for a server connection before PgBouncer fails it (5). */
  queryWaitTimeout?: number;
}

function configText(
  dir: string,
  port: number,
  targets: PgBouncerTargets,
  settings: PgBouncerSettings,
): string {
  const server = (p: number) => `host=127.0.0.1 port=${p}`;
  return [
    '[databases]',
    `du = ${server(targets.primaryPort)} dbname=du`,
    `du_standby = ${server(targets.standbyPort ?? targets.primaryPort)} dbname=du`,
    `* = ${server(targets.primaryPort)}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    'admin_users = postgres',
    'pool_mode = transaction',
    'max_client_conn = 500',
    `default_pool_size = ${settings.poolSize ?? 20}`,
    // While the server is down: retry its login every second, and fail the clients waiting
    // for a server connection within seconds, so that the service answers 20011 promptly.
    'server_login_retry = 1',
    'server_connect_timeout = 3',
    `query_wait_timeout = ${settings.queryWaitTimeout ?? 5}`,
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
}

export async function startPgBouncer(
  scratch: Scratch,
  targets: PgBouncerTargets,
  settings: PgBouncerSettings = {},
): Promise<PgBouncer> {
  const dir = scratch.dir('pgbouncer');
  const ini = path.join(dir, 'pgbouncer.ini');
  const pidFile = path.join(dir, 'pgbouncer.pid');
  const logFile = path.join(dir, 'pgbouncer.log');
  fs.writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
  scratch.onCleanup(() => killPid(pidFrom(pidFile)));
  const port = await onFreePort('PgBouncer', async (picked) => {
    fs.writeFileSync(ini, configText(dir, picked, targets, settings));
    const offset = logOffset(logFile);
    // PgBouncer refuses to run as root; -d: it daemonizes, then binds (or logs why it cannot).
    execFileSync('runuser', ['-u', 'postgres', '--', PGBOUNCER, '-d', '-q', ini], {
      stdio: 'pipe',
      timeout: 30000,
    });
    await awaitListeningLogged('PgBouncer', logFile, offset, picked);
    return picked;
  });
  const admin = async (command: string) => {
    const client = new pg.Client({
      connectionString: `postgres://postgres@127.0.0.1:${port}/pgbouncer`,
      connectionTimeoutMillis: 5000,
    });
    await client.connect();
    try {
      return (await client.query(command)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  // Listening is not yet ready to serve: wait for the admin console to answer.
  await settle(
    'PgBouncer admin console',
    async () => (await admin('SHOW VERSION'), true),
    SETTLE_MS,
    100,
  );
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async repoint(next) {
      fs.writeFileSync(ini, configText(dir, port, next, settings));
      await admin('RELOAD');
    },
    admin,
    stop: () => killPid(pidFrom(pidFile), 'SIGINT'),
    log: () => {
      const file = path.join(dir, 'pgbouncer.log');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    },
  };
}

/** Why PgBouncer cannot run here, or null. */
export function pgBouncerUnavailable(): string | null {
  return fs.existsSync(PGBOUNCER) ? null : `${PGBOUNCER} not installed (apt-get install pgbouncer)`;
}
