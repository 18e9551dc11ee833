import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ADDRESS_IN_USE, logOffset, logSince, onFreePort, PortTaken } from './ports.js';

/**
 * A PostgreSQL server of the test's own, in a temporary directory, that the test may stop
 * and start (the machine's shared server must never be stopped by a test).
 */
export interface PrivatePostgres {
  url: string;
  start(): void;
  stop(): void;
  destroy(): void;
}

export function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

/**
 * A port free a moment ago. Another process may bind it before the caller does: a server of the
 * test's own listens on port 0 instead, and a program that must be given a number is started
 * with onFreePort (ports.ts), which picks again when the port was taken.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Why a private server cannot run here, or null when it can. */
export function privatePostgresUnavailable(): string | null {
  if (!binDir()) return 'PostgreSQL server binaries not found under /usr/lib/postgresql';
  if (process.getuid?.() !== 0) return 'needs root to run initdb as the postgres user';
  return null;
}

/**
 * Runs `start` (a pg_ctl start that writes its server's log to `logFile`); a start that failed
 * because its port was taken throws PortTaken, for onFreePort to pick another.
 */
export function startPostgres(logFile: string, start: () => unknown): void {
  const offset = logOffset(logFile);
  try {
    start();
  } catch (error) {
    const log = logSince(logFile, offset);
    if (ADDRESS_IN_USE.test(log)) throw new PortTaken(`PostgreSQL: ${log.trim().slice(-500)}`);
    throw error;
  }
}

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-pg-'));
  const data = path.join(dir, 'data');
  fs.chmodSync(dir, 0o777);
  const logFile = path.join(dir, 'log');
  const asPostgres = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], {
      stdio: 'pipe',
      timeout: 60000,
    });
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const ctl = (args: string[]) =>
    asPostgres('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '30', ...args]);
  const startOn = (port: number) =>
    startPostgres(logFile, () =>
      ctl([
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
        'start',
      ]),
    );
  const port = await onFreePort('private PostgreSQL', (p) => (startOn(p), p));
  const start = () => startOn(port);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: () => ctl(['-m', 'fast', 'stop']),
    destroy() {
      try {
        ctl(['-m', 'immediate', 'stop']);
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
