/** One load scenario driven against the service and both ceilings, and its figures. */
import type { ServiceProcess } from '../../test/support/service-process.js';
import { mib, round, type ScenarioFigures, type Sizes, type TargetName } from './figures.js';
import { drive, median, type FormRequests, type LoadFigures } from './load.js';
import type { Ceiling } from './processes.js';
import type { Scenario } from './scenarios.js';
import { expect } from './scenarios.js';
import { post, postForm } from './soap.js';

/** The service's metrics listener, which its start-up banner names. */
export function metricsUrlOf(service: ServiceProcess): string {
  const url = /Metrics: +(http:\/\/\S+\/metrics)/.exec(service.output())?.[1];
  if (!url) throw new Error('no metrics listener');
  return url;
}

/** RSS from /proc; V8's heap from the service's own /metrics. */
async function memoryOf(service: ServiceProcess): Promise<NonNullable<ScenarioFigures['memory']>> {
  const { rss, peak } = service.memory();
  const out: NonNullable<ScenarioFigures['memory']> = { peakRssMiB: mib(peak), rssMiB: mib(rss) };
  try {
    const text = await (await fetch(metricsUrlOf(service))).text();
    const gauge = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? mib(Number(m[1])) : undefined;
    };
    out.heapTotalMiB = gauge('du_nodejs_heap_size_total_bytes');
    out.heapUsedMiB = gauge('du_nodejs_heap_size_used_bytes');
  } catch {
    // Metrics are a nicety here; RSS is what the target is about.
  }
  return out;
}

export interface ScenarioRun {
  service: ServiceProcess;
  ceilings: Record<'bare' | 'soapEcho', Ceiling>;
  sizes: Sizes;
  /** Comparing an old build: keep figures of runs with failed requests instead of stopping. */
  allowFailures?: boolean;
  engineName: string;
  /**
   * Before each of the service's timed runs (PostgreSQL: a vacuum, as autovacuum would pass
   * between the runs of a scenario that updates the same people thousands of times).
   */
  beforeServiceRun?: () => Promise<void>;
  log: (line: string) => void;
}

export async function measureScenario(s: Scenario, run: ScenarioRun): Promise<ScenarioFigures> {
  const { service, ceilings, sizes, log } = run;
  const url = service.url;
  const serviceBodies = s.bodies();
  const servicePaths = s.form?.paths();
  // One call through the service: proves the work is real and gives the ceilings the
  // very answer to serve.
  const sampleRequest = serviceBodies();
  const serviceBase = service.base;
  const callSample = () =>
    servicePaths
      ? postForm(`${serviceBase}${servicePaths()}`, s.form!.contentType, sampleRequest)
      : post(url, s.operation, sampleRequest);
  let sample = await callSample();
  // The previous scenario's last calls may still hold the user's concurrency slots on a
  // busy machine (fault 20024): wait for them rather than fail the whole run.
  for (let tries = 0; tries < 20 && sample.body.includes('20024'); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    sample = await callSample();
  }
  expect(sample.status === 200, `${s.name} sample`, sample.body);
  s.check(sample.body);
  for (const c of Object.values(ceilings)) await c.setAnswers({ [s.operation]: sample.body });
  const formOf = (paths?: () => string): FormRequests | undefined =>
    s.form && paths ? { contentType: s.form.contentType, paths } : undefined;
  const targets: Array<[TargetName, string, () => string, number, FormRequests | undefined]> = [
    [
      'bare',
      s.form ? ceilings.bare.base : ceilings.bare.url,
      s.bodies(),
      ceilings.bare.pid,
      formOf(s.form?.paths()),
    ],
    [
      'soapEcho',
      s.form ? ceilings.soapEcho.base : ceilings.soapEcho.url,
      s.bodies(),
      ceilings.soapEcho.pid,
      formOf(s.form?.paths()),
    ],
    ['service', s.form ? service.base : url, serviceBodies, service.pid, formOf(servicePaths)],
  ];
  const warm = { ...sizes.load, durationSeconds: sizes.warmupSeconds };
  for (const [, target, bodies, , form] of targets)
    await drive(target, s.operation, bodies, warm, undefined, form);
  const runs: Record<TargetName, LoadFigures[]> = { bare: [], soapEcho: [], service: [] };
  for (let rep = 0; rep < sizes.repeats; rep++) {
    for (const [name, target, bodies, pid, form] of targets) {
      if (name === 'service') await run.beforeServiceRun?.();
      const r = await drive(target, s.operation, bodies, sizes.load, pid, form);
      if (r.failures > 0 && !run.allowFailures)
        throw new Error(`${s.name} on ${name}: ${r.failures} failed requests`);
      runs[name].push(r);
    }
  }
  const summary = (xs: LoadFigures[]) => ({
    rps: round(median(xs.map((x) => x.rps)), 1),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
    requests: xs.reduce((n, x) => n + x.requests, 0),
    failures: xs.reduce((n, x) => n + x.failures, 0),
    cpuMicrosPerRequest: median(xs.map((x) => x.cpuMicrosPerRequest ?? NaN)),
    cpuShare: median(xs.map((x) => x.cpuShare ?? NaN)),
    runs: xs,
  });
  const fig: ScenarioFigures = {
    name: s.name,
    title: s.title,
    operation: s.operation,
    recordsPerCall: s.recordsPerCall,
    requestBytes: Buffer.byteLength(sampleRequest),
    responseBytes: Buffer.byteLength(sample.body),
    targets: {
      bare: summary(runs.bare),
      soapEcho: summary(runs.soapEcho),
      service: summary(runs.service),
    },
    ratioToSoapEcho: 0,
    ratioToBare: 0,
  };
  fig.ratioToSoapEcho = round(fig.targets.service.rps / fig.targets.soapEcho.rps, 3);
  fig.ratioToBare = round(fig.targets.service.rps / fig.targets.bare.rps, 3);
  if (s.recordsPerCall > 1) fig.leadsPerSecond = Math.round(fig.targets.service.rps * 300);
  fig.memory = await memoryOf(service);
  log(
    `[${run.engineName}] ${s.name}: service ${fig.targets.service.rps} req/s ` +
      `(p50 ${fig.targets.service.p50} ms, p99 ${fig.targets.service.p99} ms, ` +
      `${fig.targets.service.cpuMicrosPerRequest} µs CPU/req at ${fig.targets.service.cpuShare} core), ` +
      `soap-echo ${fig.targets.soapEcho.rps} (${fig.targets.soapEcho.cpuMicrosPerRequest} µs at ${fig.targets.soapEcho.cpuShare}), ` +
      `bare ${fig.targets.bare.rps} (${fig.targets.bare.cpuMicrosPerRequest} µs at ${fig.targets.bare.cpuShare}) → ` +
      `${Math.round(fig.ratioToSoapEcho * 100)}% / ${Math.round(fig.ratioToBare * 100)}%; ` +
      `memory ${JSON.stringify(fig.memory)}`,
  );
  return fig;
}
