/**
 * A PostgreSQL primary and a streaming-replication standby on loopback, in temporary
 * directories, made with the installed server binaries (initdb, pg_basebackup, pg_ctl), run as
 * the postgres OS user. The primary can be killed like a crashed machine (SIGKILL to every
 * process of the cluster) and the standby promoted (`pg_ctl promote`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { binDir, startPostgres } from '../support/private-postgres.js';
import { onFreePort } from '../support/ports.js';
import { childrenOf } from '../support/proc.js';
import { SETTLE_MS, waitFor } from '../support/wait.js';
import type { Scratch } from './scratch.js';

/** The standby's name, as the primary's synchronous_standby_names lists it. */
export const STANDBY_NAME = 'standby1';

export interface PostgresNode {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  /** postgres://postgres@127.0.0.1:PORT/DB */
  url(database?: string): string;
  start(): void;
  /** SIGKILL to the postmaster and every process it started: no shutdown, no last flush. */
  kill(): void;
  /** A clean stop (fast mode), as at the end of a test. */
  stop(): void;
  log(): string;
}

export interface PostgresPair {
  primary: PostgresNode;
  standby: PostgresNode;
  synchronous: boolean;
  /** pg_ctl promote on the standby; it then takes writes, replicating to no one. */
  promote(): void;
}

function asPostgres(command: string, args: string[], timeout = 120000): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], {
    stdio: 'pipe',
    timeout,
    encoding: 'utf8',
  });
}

/** A node not started yet: its port is picked by its first start. */
interface NewNode extends PostgresNode {
  /** Starts the server on a free port (another if the one picked was taken meanwhile). */
  firstStart(): Promise<void>;
}

function makeNode(scratch: Scratch, name: string, settings: Record<string, string>): NewNode {
  const bin = binDir()!;
  const dir = scratch.dir(name);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'log');
  let port = 0;
  const options = () =>
    [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(
      ' ',
    );
  const ctl = (args: string[]) =>
    asPostgres(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, ...args]);
  const postmasterPid = (): number | null => {
    try {
      return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };
  const start = () =>
    startPostgres(logFile, () => ctl(['-w', '-t', '60', '-o', options(), 'start']));
  const node: NewNode = {
    name,
    get port() {
      return port;
    },
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    async firstStart() {
      await onFreePort(`PostgreSQL ${name}`, (picked) => {
        port = picked;
        start();
      });
    },
    kill() {
      const pid = postmasterPid();
      if (!pid) return;
      for (const p of [pid, ...childrenOf(pid)]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    stop() {
      if (postmasterPid() === null) return;
      try {
        ctl(['-w', '-t', '30', '-m', 'fast', 'stop']);
      } catch {
        node.kill();
      }
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
  };
  // However the test ends, no server of ours outlives it.
  scratch.onCleanup(() => node.kill());
  return node;
}

const COMMON: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  max_connections: '80',
  shared_buffers: '32MB',
  // A test kills processes, never the machine: the OS keeps what was written, so skipping
  // fsync changes no outcome here and spares the shared disk.
  fsync: 'off',
  wal_level: 'replica',
  max_wal_senders: '5',
  wal_keep_size: '256MB',
  hot_standby: 'on',
};

/** initdb a primary, clone it with pg_basebackup, start the standby streaming from it. */
export async function createPostgresPair(
  scratch: Scratch,
  options: {
    synchronous: boolean;
    /** Delay the WAL stream by this much on its way to the standby (a distant standby). */
    replicationDelayMs?: number;
  },
): Promise<PostgresPair> {
  const bin = binDir()!;
  const primary = makeNode(scratch, 'primary', {
    ...COMMON,
    ...(options.synchronous
      ? { synchronous_standby_names: STANDBY_NAME, synchronous_commit: 'on' }
      : {}),
  });
  asPostgres(path.join(bin, 'initdb'), [
    '-D',
    primary.dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  await primary.firstStart();
  const primaryPort = primary.port;

  const standby = makeNode(scratch, 'standby', {
    ...COMMON,
    primary_conninfo: `'host=127.0.0.1 port=${
      options.replicationDelayMs
        ? await delayingRelay(scratch, primaryPort, options.replicationDelayMs)
        : primaryPort
    } user=postgres application_name=${STANDBY_NAME}'`,
  });
  asPostgres(path.join(bin, 'pg_basebackup'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'postgres',
    '-D',
    standby.dataDir,
    '-X',
    'stream',
    '-c',
    'fast',
    '--no-sync',
  ]);
  asPostgres('touch', [path.join(standby.dataDir, 'standby.signal')]);
  await standby.firstStart();
  await waitForReplication(primary, options.synchronous);

  return {
    primary,
    standby,
    synchronous: options.synchronous,
    promote() {
      asPostgres(path.join(bin, 'pg_ctl'), ['-D', standby.dataDir, '-w', '-t', '60', 'promote']);
    },
  };
}

/**
 * A TCP relay in front of the primary for the standby's replication connection: what the
 * primary sends arrives `delayMs` later, as over a long link. When the primary's side closes
 * (the primary died), what is still on its way is lost, as it would be with the machine.
 */
async function delayingRelay(scratch: Scratch, target: number, delayMs: number): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((standby) => {
    const primary = net.connect(target, '127.0.0.1');
    sockets.add(standby).add(primary);
    let primaryGone = false;
    standby.on('data', (chunk: Buffer) => primary.write(chunk));
    primary.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (!primaryGone && !standby.destroyed) standby.write(chunk);
      }, delayMs);
    });
    primary.on('close', () => {
      primaryGone = true;
      standby.destroy();
    });
    primary.on('error', () => undefined);
    standby.on('error', () => undefined).on('close', () => primary.destroy());
  });
  // Any free port, which the relay knows once listening: nothing else can take it meanwhile.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scratch.onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** Until the primary reports the standby streaming (and synchronous, when asked). */
async function waitForReplication(primary: PostgresNode, synchronous: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: primary.url() });
  await client.connect();
  try {
    const streaming = await waitFor(
      async () => {
        const { rows } = await client.query<{ state: string; sync_state: string }>(
          'SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1',
          [STANDBY_NAME],
        );
        const row = rows[0];
        return row?.state === 'streaming' && (!synchronous || row.sync_state === 'sync');
      },
      SETTLE_MS,
      100,
    );
    if (!streaming) throw new Error(`standby never streamed:\n${primary.log().slice(-2000)}`);
  } finally {
    await client.end();
  }
}

/** Runs one statement on a server directly (not through the pooler), as an operator would. */
export async function runSql(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
