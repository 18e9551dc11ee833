/**
 * Stress: several service processes on one database (on SQLite the WORKERS of its one
 * instance), many concurrent mixed calls over a few shared addresses; then the invariant must
 * hold and every acknowledged write must be there.
 *
 *   node --import tsx test/resilience/stress.ts [--processes 3] [--connections 24] [--ops 3000]
 *
 * Uses PostgreSQL when DATABASE_URL is set (a fresh database of its own), else SQLite.
 */
import { openDatabase } from '../../src/data-access/database.js';
import { createServices } from '../../src/compose.js';
import { CONTENDED_ACQUIRE_TIMEOUT_MS, testEngines, type TestEngine } from '../support/database.js';
import { faultCode, rawCall } from '../support/service.js';
import {
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../support/service-process.js';

export interface StressOptions {
  processes: number;
  connections: number;
  ops: number;
  engine?: TestEngine;
}

export interface StressReport {
  engine: string;
  ops: number;
  byOperation: Record<string, number>;
  faults: Record<string, number>;
  unexpected: string[];
  violations: number;
  missingAcknowledged: number[];
  /** What the services logged at error level: the cause behind an unexpected fault. */
  serviceErrors: string[];
  seconds: number;
}

const ADDRESSES = ['s1@example.com', 'S2@Example.com', 's3@example.com', 's4@example.com'];
/**
 * Faults a client may legitimately get here: the lead it named was deleted by someone else;
 * and 20024, which docs/operations.md allows for a moment at exactly the limit (a slot on its
 * way back to the worker that lent it when the client's next call arrives): counted in
 * `faults`, the test bounds how many.
 */
const EXPECTED_FAULTS = new Set([20103, 20024]);

/** The fault's code and message; the envelope's start is the same for every fault. */
const faultSummary = (body: string): string =>
  /<faultstring>([^<]*)<\/faultstring>/.exec(body)?.[1] ?? body.slice(0, 300);

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const flag = (v: boolean) =>
  `<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${v}</attrValue></attribute></leadAttributeList>`;
const syncById = (id: number, inner: string) =>
  `<ns1:paramsSyncLead><leadRecord><Id>${id}</Id>${inner}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
const createMany = (records: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.join('')}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`;

export async function runStress(options: StressOptions): Promise<StressReport> {
  const engine = options.engine ?? testEngines()[testEngines().length - 1]!;
  const db = await freshServiceDatabase(engine);
  const services: ServiceProcess[] = [];
  const started = Date.now();
  try {
    // Every connection may land on one instance, and unevenly on its workers: a per-user
    // concurrency limit of exactly the connections must still refuse none of them (its workers
    // lend each other their shares). Shedding calls that queue for a pool connection behind the
    // lock holders of four hot addresses is not what this test is about. A call may wait that
    // long and still run: with the default 30 s REQUEST_TIMEOUT_MS a slow machine's queued
    // batches were answered 10001 (the documented timeout fault) while their work went on.
    const env = {
      ...db.env,
      CONCURRENCY_LIMIT: String(options.connections),
      DB_ACQUIRE_TIMEOUT_MS: String(CONTENDED_ACQUIRE_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(2 * CONTENDED_ACQUIRE_TIMEOUT_MS),
    };
    if (engine.name === 'sqlite')
      // One instance serves an SQLite DATA_DIR (a second is refused): its processes are its
      // WORKERS, sharing the file.
      services.push(await spawnService({ ...env, WORKERS: String(options.processes) }));
    else for (let i = 0; i < options.processes; i++) services.push(await spawnService(env));
    const known: number[] = [];
    const deleted = new Set<number>();
    const acknowledged = new Set<number>();
    const byOperation: Record<string, number> = {};
    const faults: Record<string, number> = {};
    const unexpected: string[] = [];

    const seed = await rawCall(
      services[0]!.url,
      createMany(
        ADDRESSES.flatMap((a) => [
          `<leadRecord><Email>${a}</Email></leadRecord>`,
          `<leadRecord><Email>${a} </Email></leadRecord>`,
        ]),
      ),
    );
    for (const m of seed.body.matchAll(/<leadId>(\d+)<\/leadId><status>CREATED/g))
      known.push(Number(m[1]));

    let remaining = options.ops;
    const worker = async () => {
      while (remaining-- > 0) {
        const url = pick(services).url;
        const op = pick([
          'unsubscribe',
          'resubscribe',
          'address',
          'create',
          'bulk',
          'delete',
        ] as const);
        let body: string;
        let target: number | undefined;
        switch (op) {
          case 'unsubscribe':
          case 'resubscribe':
            target = pick(known);
            body = syncById(target, flag(op === 'unsubscribe'));
            break;
          case 'address':
            target = pick(known);
            body = syncById(
              target,
              `<Email>${pick(ADDRESSES)}</Email>${Math.random() < 0.3 ? flag(Math.random() < 0.5) : ''}`,
            );
            break;
          case 'create':
            body = createMany([
              `<leadRecord><Email>${pick(ADDRESSES)}</Email>${flag(Math.random() < 0.5)}</leadRecord>`,
            ]);
            break;
          case 'bulk':
            body = createMany(
              Array.from({ length: 20 }, () =>
                Math.random() < 0.5
                  ? `<leadRecord><Id>${pick(known)}</Id>${flag(Math.random() < 0.5)}</leadRecord>`
                  : `<leadRecord><Email>${pick(ADDRESSES)}</Email>${flag(Math.random() < 0.5)}</leadRecord>`,
              ),
            );
            break;
          case 'delete':
            target = pick(known);
            body = `<ns1:paramsDeleteLead><leadKey><keyType>IDNUM</keyType><keyValue>${target}</keyValue></leadKey></ns1:paramsDeleteLead>`;
            break;
        }
        byOperation[op] = (byOperation[op] ?? 0) + 1;
        const res = await rawCall(url, body);
        if (res.status === 200) {
          for (const m of res.body.matchAll(
            /<leadId>(\d+)<\/leadId><status>(CREATED|UPDATED|FAILED)<\/status>(?:<error>([^<]*)<\/error>)?/g,
          )) {
            const id = Number(m[1]);
            if (m[2] === 'CREATED') {
              known.push(id);
              acknowledged.add(id);
            } else if (m[2] === 'FAILED' && !/^20103 /.test(m[3] ?? '')) {
              unexpected.push(`${op}: FAILED ${m[3]}`);
            }
          }
          if (op === 'delete' && target !== undefined) deleted.add(target);
          continue;
        }
        const code = faultCode(res.body);
        faults[String(code)] = (faults[String(code)] ?? 0) + 1;
        if (code === null || !EXPECTED_FAULTS.has(code))
          unexpected.push(`${op}: HTTP ${res.status} ${faultSummary(res.body)}`);
      }
    };
    await Promise.all(Array.from({ length: options.connections }, worker));

    const database = openDatabase({
      databaseUrl: db.env.DATABASE_URL ?? '',
      dataDir: db.env.DATA_DIR ?? '',
      sqliteBusyTimeoutMs: 5000,
      dbPoolMax: 2,
    });
    try {
      const domain = createServices(database, { customFields: [], defaultPartition: 'Default' });
      const violations = (await domain.durableStatus.findViolations()).length;
      const expected = [...acknowledged].filter((id) => !deleted.has(id));
      const present = new Set(
        (await domain.leads.findMany('IDNUM', expected.map(String))).map((l) => l.id),
      );
      return {
        engine: engine.name,
        ops: options.ops,
        byOperation,
        faults,
        unexpected,
        violations,
        missingAcknowledged: expected.filter((id) => !present.has(id)),
        serviceErrors: services.flatMap((s) =>
          s
            .output()
            .split('\n')
            .filter((line) => /"level":(50|60)|"level":"(error|fatal)"/.test(line))
            .slice(0, 5),
        ),
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await database.close();
    }
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await db.drop();
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  runStress({
    processes: arg('processes', 3),
    connections: arg('connections', 24),
    ops: arg('ops', 3000),
  }).then(
    (report) => {
      console.log(JSON.stringify(report, null, 2));
      const ok =
        report.violations === 0 &&
        report.missingAcknowledged.length === 0 &&
        report.unexpected.length === 0;
      process.exit(ok ? 0 : 1);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
