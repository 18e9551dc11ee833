import type { Worker } from 'node:cluster';
import {
  AggregatorRegistry,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';

/**
 * The instance's /metrics, served by the primary: the metrics of the workers that serve,
 * asked for over their IPC channels and summed by prom-client's rules. prom-client's own
 * gathering (AggregatorRegistry.clusterMetrics) asks every connected worker, a starting one
 * included, which has no listener yet and never answers, and waits for one that died while
 * asked: every scrape while a worker was replaced failed after 5 s. Here only the serving
 * workers are asked, and one that exits is no longer waited for.
 */

/** Longest a scrape waits for a serving worker's metrics (then it fails: HTTP 500). */
export const WORKER_METRICS_TIMEOUT_MS = 5000;

type WorkerMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

/** Messages between the primary and its workers about metrics (`du` tells them from others). */
export type MetricsMessage =
  // primary → worker: its metrics, please.
  | { du: 'metrics?'; request: number }
  // worker → primary: they are (null: gathering them failed).
  | { du: 'metrics'; request: number; metrics: WorkerMetrics | null };

export function isMetricsMessage(message: unknown): message is MetricsMessage {
  const du = (message as { du?: unknown } | null)?.du;
  return du === 'metrics?' || du === 'metrics';
}

interface Asked {
  waiting: Set<number>;
  answers: WorkerMetrics[];
  settle(error?: Error): void;
}

/** The primary's side: a registry for the metrics listener (metrics(), contentType). */
export class InstanceMetrics {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private lastRequest = 0;
  private readonly asked = new Map<number, Asked>();

  constructor(
    /** The workers that serve. */
    private readonly serving: () => Worker[],
    private readonly timeoutMs = WORKER_METRICS_TIMEOUT_MS,
  ) {}

  async metrics(): Promise<string> {
    const request = ++this.lastRequest;
    const workers = this.serving().filter((w) => w.isConnected());
    const answers = await new Promise<WorkerMetrics[]>((resolve, reject) => {
      const asked: Asked = {
        waiting: new Set(workers.map((w) => w.id)),
        answers: [],
        settle: (error) => {
          clearTimeout(timer);
          this.asked.delete(request);
          if (error) reject(error);
          else resolve(asked.answers);
        },
      };
      const timer = setTimeout(
        () => asked.settle(new Error('a worker did not send its metrics in time')),
        this.timeoutMs,
      );
      this.asked.set(request, asked);
      for (const worker of workers)
        worker.send({ du: 'metrics?', request } satisfies MetricsMessage);
      if (asked.waiting.size === 0) asked.settle();
    });
    return AggregatorRegistry.aggregate(answers).metrics();
  }

  receive(worker: number, message: MetricsMessage): void {
    if (message.du !== 'metrics') return;
    const asked = this.asked.get(message.request);
    if (!asked?.waiting.delete(worker)) return;
    if (message.metrics === null)
      return asked.settle(new Error('a worker could not gather its metrics'));
    asked.answers.push(message.metrics);
    if (asked.waiting.size === 0) asked.settle();
  }

  /** A worker exited: the scrapes waiting for it go on without it. */
  exited(worker: number): void {
    for (const asked of [...this.asked.values()])
      if (asked.waiting.delete(worker) && asked.waiting.size === 0) asked.settle();
  }
}

/** A worker's side: answers the primary's requests with this process's metrics. */
export function answerMetricsRequests(
  registry: Registry,
  send: (message: MetricsMessage) => void,
): (message: unknown) => void {
  return (message) => {
    if (!isMetricsMessage(message) || message.du !== 'metrics?') return;
    const { request } = message;
    registry.getMetricsAsJSON().then(
      (metrics) => send({ du: 'metrics', request, metrics: metrics as WorkerMetrics }),
      () => send({ du: 'metrics', request, metrics: null }),
    );
  };
}
