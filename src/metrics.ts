import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { closeStalledAnswers, CONNECTIONS_CHECKING_MS } from './http/connection-timeouts.js';
import {
  answerProtocolErrors,
  onlyHttp1,
  requireHost,
  SAFE_ANSWER_HEADERS,
} from './http/protocol-answers.js';
import { answeredServerOptions, HEALTH_METHODS, otherMethodAnswer } from './http/other-methods.js';
import { announcesBody, inTurn, soundFraming } from './http/unread-bodies.js';

/**
 * How often the event-loop lag gauges (`du_nodejs_eventloop_lag_*`) sample the loop. Each
 * sample is the time between two ticks of a timer of this period (perf_hooks'
 * monitorEventLoopDelay), so an idle loop reads about this much: how late the loop ran is a
 * gauge's value less this period.
 */
export const EVENT_LOOP_SAMPLE_MS = 10;

/**
 * Prometheus metrics of one process, served at /metrics on a listener of their own
 * (METRICS_HOST:METRICS_PORT, loopback by default), never on the public port: they tell the
 * runtime's version, call counts and pool state, which are nobody else's business.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly soapCalls = new Counter({
    name: 'du_soap_calls_total',
    help: 'SOAP calls by operation and outcome (ok or the fault code)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly soapDuration = new Histogram({
    name: 'du_soap_call_duration_seconds',
    help: 'SOAP call latency by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly propagationSize = new Histogram({
    name: 'du_propagation_people',
    help: 'Other people whose flag followed one master status change',
    buckets: [0, 1, 2, 5, 10, 50, 100, 1000, 10000],
    registers: [this.registry],
  });

  readonly checkedWrites = new Counter({
    name: 'du_checked_writes_total',
    help: 'SQLite: syncLead updates and syncMultipleLeads batches planned on a read outside the write transaction, by outcome: written (by one checked step) or locked (what they read had moved, or a batch while paused after such a miss: run again under the locks)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly linkUnsubscribes = new Counter({
    name: 'du_link_unsubscribes_total',
    help: 'Unsubscribe-link requests carried out: accepted (a change), unchanged (already unsubscribed), resubscribed (undone on the page)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly linkRefusals = new Counter({
    name: 'du_link_refusals_total',
    help: 'Unsubscribe-link requests refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** `connectionPool` reads the database pool's current state (the composition root wires it). */
  constructor(connectionPool?: () => ConnectionPoolStats | undefined) {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'du_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    if (connectionPool) {
      new Gauge({
        name: 'du_db_pool_connections',
        help: 'Database pool connections by state',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const p = connectionPool();
          if (!p) return;
          this.set({ state: 'used' }, p.numUsed());
          this.set({ state: 'free' }, p.numFree());
          this.set({ state: 'pending' }, p.numPendingAcquires());
        },
      });
    }
  }

  /**
   * du_soap_fast_reads_total: requests the fast request reader read, declined to node-soap, or
   * declined because it failed (a fault of the reader's own, which should stay at 0).
   */
  watchRequestReader(reader: { stats: { read: number; declined: number; failed: number } }): void {
    const seen = { read: 0, declined: 0, failed: 0 };
    new Counter({
      name: 'du_soap_fast_reads_total',
      help: 'SOAP requests by how they were read: read (fast reader), declined (node-soap read them), failed (declined by a fault of the fast reader; should stay 0)',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        for (const outcome of ['read', 'declined', 'failed'] as const) {
          const now = reader.stats[outcome];
          this.inc({ outcome }, now - seen[outcome]);
          seen[outcome] = now;
        }
      },
    });
  }

  /** du_data_dir_free_bytes: the free space of the embedded database's volume (free-space.ts). */
  watchFreeSpace(space: { free(): Promise<number | null> }): void {
    new Gauge({
      name: 'du_data_dir_free_bytes',
      help: 'Bytes free on the volume of DATA_DIR (the embedded database), looked at every 5 s at most; -1: unknown. /readyz is not ready under READY_MIN_FREE_MB',
      registers: [this.registry],
      // Every worker looks at the same volume; the instance reports the least any saw.
      aggregator: 'min',
      async collect() {
        const free = await space.free();
        this.set(free ?? -1);
      },
    });
  }

  /** du_read_replica_staleness_seconds: how far behind the primary reads on the standby may be. */
  watchReadReplica(replica: StalenessSource): void {
    new Gauge({
      name: 'du_read_replica_staleness_seconds',
      help: 'How far the read replica (DATABASE_READ_URL) may be behind the primary; -1: unknown or unreachable (reads go to the primary)',
      registers: [this.registry],
      // Each worker process probes the standby itself; the instance reports the worst of them.
      aggregator: 'max',
      collect() {
        const ms = replica.staleness();
        this.set(ms === null ? -1 : ms / 1000);
      },
    });
  }
}

/** What the staleness gauge reads from a read replica (read-replica.ts). */
interface StalenessSource {
  staleness(): number | null;
}

/** What the pool gauge reads from the database's connection pool. */
export interface ConnectionPoolStats {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** What the listener serves: one process's registry, or the instance's workers aggregated. */
export interface MetricsSource {
  registry: { metrics(): Promise<string>; readonly contentType: string };
}

/**
 * One of the listener's own short answers: plain text, with the headers every answer of every
 * listener carries (SAFE_ANSWER_HEADERS). They were sent bare: no no-store, no nosniff.
 */
function plainAnswer(
  res: http.ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  res
    .writeHead(status, {
      ...SAFE_ANSWER_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      ...extra,
    })
    .end(text);
}

/** How long a metrics connection may see no byte move either way. */
export const METRICS_IDLE_MS = 10000;

/**
 * The metrics listener: GET /metrics (another method: otherMethodAnswer), `OPTIONS *`
 * (answeredServerOptions), and 404 for anything else. It is bound with the service's
 * port, before anything is created, and answers 503 until `metricsOf` has the metrics. A
 * request announcing a body (a length, chunks) is answered 400 and its connection closed, the
 * body unread: nothing here takes one, and node would otherwise read and discard it to keep
 * the connection, for as long as the client sent.
 */
export async function serveMetrics(
  metricsOf: () => MetricsSource | undefined,
  at: {
    port: number;
    host: string;
    headersTimeoutMs: number;
    maxConnections: number;
    /** How long a connection may see no byte move (METRICS_IDLE_MS if absent). */
    idleTimeoutMs?: number;
    /** Requests one connection may have waiting (MAX_PIPELINED_REQUESTS; 32 if absent). */
    maxPipelinedRequests?: number;
  },
): Promise<http.Server> {
  const options = {
    connectionsCheckingInterval: CONNECTIONS_CHECKING_MS,
    requireHostHeader: false,
  };
  // Pipelined requests in turn, at most maxPipelinedRequests waiting: each one gathers every
  // metric, and node hands all it parsed of a connection to the listener at once (a 64 KiB
  // write held some 1,800 scrapes).
  const server = http.createServer(
    options,
    inTurn(
      onlyHttp1(
        requireHost(
          soundFraming((req, res) => {
            if (announcesBody(req)) {
              // Never read: the answer ends the connection, and node stops reading it with that.
              plainAnswer(res, 400, 'No request body is accepted here\n', { Connection: 'close' });
              return;
            }
            if (answeredServerOptions(req, res, HEALTH_METHODS)) return;
            const path = (req.url ?? '').split('?')[0];
            if (path !== '/metrics') {
              plainAnswer(res, 404, 'Not found\n');
              return;
            }
            if (req.method !== 'GET' && req.method !== 'HEAD') {
              otherMethodAnswer(req.method, HEALTH_METHODS, (status, headers, text) =>
                plainAnswer(res, status, text, headers),
              );
              return;
            }
            const metrics = metricsOf();
            if (!metrics) {
              plainAnswer(res, 503, 'Starting\n', { 'Retry-After': '5', Connection: 'close' });
              return;
            }
            metrics.registry.metrics().then(
              (text) => {
                res.writeHead(200, {
                  ...SAFE_ANSWER_HEADERS,
                  'Content-Type': metrics.registry.contentType,
                });
                res.end(req.method === 'HEAD' ? undefined : text);
              },
              () => plainAnswer(res, 500, 'metrics failed\n'),
            );
          }),
        ),
      ),
      at.maxPipelinedRequests ?? 32,
    ),
  );
  server.maxConnections = at.maxConnections;
  server.headersTimeout = at.headersTimeoutMs;
  server.requestTimeout = Math.max(10000, at.headersTimeoutMs);
  // A scraper that stops reading its answer does not hold the connection for ever: closed
  // after the idle time, not twice it (node's own timeout is put off once by a pending write).
  const idleMs = at.idleTimeoutMs ?? METRICS_IDLE_MS;
  server.timeout = idleMs;
  closeStalledAnswers(server, idleMs);
  answerProtocolErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(at.port, at.host);
  });
  return server;
}
