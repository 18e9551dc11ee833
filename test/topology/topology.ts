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
import { privatePostgresUnavailable } from '../support/private-postgres.js';
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
    // Each instance on any free port (PORT=0), which it says once listening: HAProxy is
    // configured with the ports they got, and re-pointed when a restart gets another.
    const spawnOne = async () => {
      const s = await spawnService({ ...env, PORT: '0' });
      scratch.onCleanup(() => void s.child.kill('SIGKILL'));
      return s;
    };
    const count = options.instances ?? 3;
    // The first migrates the fresh database; the others find it migrated.
    instances.push(await spawnOne());
    instances.push(...(await Promise.all(Array.from({ length: count - 1 }, spawnOne))));
    const haproxy = await startHaProxy(
      scratch,
      instances.map((s) => s.port),
    );
    for (let i = 0; i < count; i++) await haproxy.awaitServer(`i${i + 1}`, 'UP');

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
        instances[i] = await spawnOne();
        const moved = await haproxy.command(
          `set server instances/${name} addr 127.0.0.1 port ${instances[i]!.port}`,
        );
        if (!/changed|no need to change/i.test(moved))
          throw new Error(`HAProxy: server ${name} not re-pointed: ${moved}`);
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
