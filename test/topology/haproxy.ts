/**
 * HAProxy (the Debian package) in front of the service instances, on loopback. Each request
 * gets its own server connection (http-server-close), so an instance that stops accepting
 * costs a refused connect, which HAProxy redispatches to another instance; the health check is
 * /healthz (the process answers), not /readyz: every instance shares one database, and taking
 * them all out during a database outage would answer clients with HAProxy's HTML 503 instead
 * of the SOAP fault 20011 they know to retry.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { onFreePort } from '../support/ports.js';
import { SETTLE_MS, waitFor } from '../support/wait.js';
import { killPid, pidFrom, type Scratch } from './scratch.js';

export const HAPROXY = '/usr/sbin/haproxy';

export interface HaProxy {
  readonly port: number;
  /** The SOAP endpoint through HAProxy. */
  readonly url: string;
  /** A command on the runtime API (stats socket), e.g. `set server instances/i1 state drain`. */
  command(line: string): Promise<string>;
  /** Waits until HAProxy's health check sees the server up (or down). */
  awaitServer(name: string, state: 'UP' | 'DOWN' | 'DRAIN' | 'MAINT'): Promise<void>;
  stop(): void;
}

export async function startHaProxy(scratch: Scratch, backendPorts: number[]): Promise<HaProxy> {
  const dir = scratch.dir('haproxy');
  const socket = path.join(dir, 'admin.sock');
  const pidFile = path.join(dir, 'haproxy.pid');
  const cfg = path.join(dir, 'haproxy.cfg');
  const config = (port: number) =>
    [
      'global',
      '  maxconn 1000',
      `  stats socket ${socket} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  option http-server-close',
      // A refused connect is retried, on another instance (nothing was sent: always safe).
      '  retries 3',
      '  option redispatch 1',
      'frontend soap',
      `  bind 127.0.0.1:${port}`,
      '  default_backend instances',
      'backend instances',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  default-server inter 300ms fall 2 rise 1',
      ...backendPorts.map((p, i) => `  server i${i + 1} 127.0.0.1:${p} check`),
      '',
    ].join('\n');
  scratch.onCleanup(() => killPid(pidFrom(pidFile)));
  // -D: HAProxy binds before it daemonizes; a port taken fails the command, saying so on stderr.
  const port = await onFreePort('HAProxy', (picked) => {
    fs.writeFileSync(cfg, config(picked));
    execFileSync(HAPROXY, ['-D', '-f', cfg, '-p', pidFile], { stdio: 'pipe', timeout: 30000 });
    return picked;
  });
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const conn = net.createConnection(socket);
      let out = '';
      conn.on('connect', () => conn.end(`${line}\n`));
      conn.on('data', (d: Buffer) => (out += d.toString()));
      conn.on('end', () => resolve(out));
      conn.on('error', reject);
    });
  return {
    port,
    url: `http://127.0.0.1:${port}/soap/mktows/2_9`,
    command,
    async awaitServer(name, state) {
      const reached = await waitFor(
        async () => {
          const status = await command(`show servers state instances`);
          // Columns: … srv_name srv_addr srv_op_state srv_admin_state …; op state 2 is running.
          const line = status.split('\n').find((l) => l.split(' ')[3] === name);
          const cols = line?.split(' ') ?? [];
          const op = cols[5];
          const adminState = Number(cols[6] ?? 0);
          const seen =
            adminState & 1 ? 'MAINT' : adminState & 8 ? 'DRAIN' : op === '2' ? 'UP' : 'DOWN';
          return seen === state;
        },
        SETTLE_MS,
        100,
      );
      if (!reached) throw new Error(`HAProxy: server ${name} never reached ${state}`);
    },
    stop: () => killPid(pidFrom(pidFile), 'SIGUSR1'),
  };
}

/** Why HAProxy cannot run here, or null. */
export function haProxyUnavailable(): string | null {
  return fs.existsSync(HAPROXY) ? null : `${HAPROXY} not installed (apt-get install haproxy)`;
}
