/**
 * A built service, in a child process, on a private PostgreSQL cluster a test may stop and start
 * (test/ops/postgres-outage-*): the cluster and the service per suite, and the service's log
 * read back as lines.
 */
import {
  createPrivatePostgres,
  privatePostgresUnavailable,
  type PrivatePostgres,
} from './private-postgres.js';
import { spawnService, type ServiceProcess } from './service-process.js';

export interface OutageSuite {
  pg: PrivatePostgres;
  service: ServiceProcess;
}

/**
 * Mocha hooks of the calling suite: a private cluster and a service on it with `env` (one worker,
 * info-level log), stopped and removed after the suite. The suite is skipped where no private
 * cluster can be made. The returned object is filled in by the `before` hook.
 */
export function serviceOnPrivatePostgres(env: Record<string, string>): OutageSuite {
  const suite = {} as OutageSuite;
  let pg: PrivatePostgres | undefined;
  let service: ServiceProcess | undefined;
  before(async function () {
    if (privatePostgresUnavailable()) return this.skip();
    pg = await createPrivatePostgres();
    service = await spawnService(
      { DATABASE_URL: pg.url, LOG_LEVEL: 'info', WORKERS: '1', ...env },
      { built: true },
    );
    Object.assign(suite, { pg, service });
  });
  after(async () => {
    await service?.stop();
    pg?.destroy();
  });
  return suite;
}

/** A process's output split into its JSON log lines and the lines that are not JSON. */
export function logLines(output: string): { json: Record<string, unknown>[]; plain: string[] } {
  const json: Record<string, unknown>[] = [];
  const plain: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    try {
      json.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      plain.push(line);
    }
  }
  return { json, plain };
}
