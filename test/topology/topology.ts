/**
 * The highly available topology on one machine, on loopback:
 *
 *   SOAP clients → HAProxy → 3 service instances → PgBouncer (transaction pooling)
 *                                                   ├─ du         → primary
 *                                                   └─ du_standby → standby (streaming)
 *
 * Failover is scripted (docs/operations.md, "Running highly available"): a watcher sees the
 * primary gone, promotes the standby with `pg_ctl promote` and re-points PgBouncer (RELOAD).
 */
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { freePort, privatePostgresUnavailable } from '../support/private-postgres.js';
import { TEST_USER } from '../support/service.js';
import { haProxyUnavailable, startHaProxy, type HaProxy } from './haproxy.js';
import { pgBouncerUnavailable, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { createPostgresPair, runSql, type PostgresPair } from './postgres-pair.js';
import { createScratch, type Scratch } from './scratch.js';

export interface TopologyOptions {
  synchronous: boolean;
  /** The WAL stream reaches the standby this much later (a distant standby). */
  replicationDelayMs?: number;
  instances?: number;
  /** Give the instances DATABASE_READ_URL (the standby through PgBouncer). */
  readReplica?: boolean;
}

export interface Topology {
  scratch: Scratch;
  pair: PostgresPair;
  bouncer: PgBouncer;
  haproxy: HaProxy;
  instances: ServiceProcess[];
  /** The environment every instance runs with. */
  env: Record<string, string>;
  /** The primary now (changes at failover), directly, not through the pooler. */
  primaryUrl(): string;
  /**
   * Watches the primary every 200 ms; after three failed checks in a row, promotes the
   * standby and re-points PgBouncer. Resolves with the time the promotion was done.
   */
  watchAndFailOver(): { done: Promise<number>; stop(): void };
  /** Takes instance i out of HAProxy, stops it gracefully, starts it again, puts it back. */
  restartInstance(i: number): Promise<void>;
  /** Service processes' output, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/** Why the topology cannot run here (a missing binary), or null. */
export function topologyUnavailable(): string | null {
  return privatePostgresUnavailable() ?? pgBouncerUnavailable() ?? haProxyUnavailable();
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const scratch = createScratch('topology');
  const instances: ServiceProcess[] = [];
  try {
    const pair = await createPostgresPair(scratch, {
      synchronous: options.synchronous,
      replicationDelayMs: options.replicationDelayMs,
    });
    await runSql(pair.primary.url(), 'CREATE DATABASE du');
    const bouncer = await startPgBouncer(scratch, {
      primaryPort: pair.primary.port,
      standbyPort: pair.standby.port,
    });
    const env: Record<string, string> = {
      DATABASE_URL: bouncer.url('du'),
      MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
      USER_KEY_SECRET: 'topology-test-secret-0123456789',
      DB_POOL_MAX: '4',
      REQUEST_TIMEOUT_MS: '20000',
      // The workload is one client: its calls may all be in flight at once on one instance.
      CONCURRENCY_LIMIT: '0',
      // Each instance one process: three instances of one worker per core, beside two
      // PostgreSQL servers, PgBouncer and HAProxy, overcommit a small machine past the start-up
      // timeout; worker processes are tested on their own (test/resilience/workers.test.ts).
      WORKERS: '1',
      ...(options.readReplica ? { DATABASE_READ_URL: bouncer.url('du_standby') } : {}),
    };
    const ports: number[] = [];
    for (let i = 0; i < (options.instances ?? 3); i++) ports.push(await freePort());
    const spawnAt = async (port: number) => {
      const s = await spawnService({ ...env, PORT: String(port) });
      scratch.onCleanup(() => void s.child.kill('SIGKILL'));
      return s;
    };
    // The first migrates the fresh database; the others find it migrated.
    instances.push(await spawnAt(ports[0]!));
    instances.push(...(await Promise.all(ports.slice(1).map(spawnAt))));
    const haproxy = await startHaProxy(scratch, ports);
    for (let i = 0; i < ports.length; i++) await haproxy.awaitServer(`i${i + 1}`, 'UP');

    let primary = pair.primary;
    const topology: Topology = {
      scratch,
      pair,
      bouncer,
      haproxy,
      instances,
      env,
      primaryUrl: () => primary.url('du'),
      watchAndFailOver() {
        let stopped = false;
        const done = (async () => {
          let failures = 0;
          while (!stopped) {
            try {
              await runSql(primary.url('du'), 'SELECT 1');
              failures = 0;
            } catch {
              failures++;
            }
            if (failures >= 3) {
              pair.promote();
              primary = pair.standby;
              await bouncer.repoint({ primaryPort: pair.standby.port });
              return Date.now();
            }
            await new Promise((r) => setTimeout(r, 200));
          }
          return Number.NaN;
        })();
        return { done, stop: () => void (stopped = true) };
      },
      async restartInstance(i) {
        const name = `i${i + 1}`;
        await haproxy.command(`set server instances/${name} state drain`);
        await haproxy.awaitServer(name, 'DRAIN');
        await instances[i]!.stop();
        instances[i] = await spawnAt(ports[i]!);
        await haproxy.command(`set server instances/${name} state ready`);
        await haproxy.awaitServer(name, 'UP');
      },
      output: () => instances.map((s, i) => `--- instance ${i + 1}\n${s.output()}`).join('\n'),
      async close() {
        await Promise.all(instances.map((s) => s.stop()));
        scratch.cleanup();
      },
    };
    return topology;
  } catch (error) {
    await Promise.all(instances.map((s) => s.stop()));
    scratch.cleanup();
    throw error;
  }
}
