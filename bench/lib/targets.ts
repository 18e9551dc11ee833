/** The issue's targets, judged from one engine's figures. */
import { round, type EngineReport, type TargetCheck } from './figures.js';
import { EVENT_LOOP_SAMPLE_MS } from '../../src/metrics.js';

export function checkTargets(r: EngineReport): TargetCheck[] {
  const s = (name: string) => r.scenarios.find((x) => x.name === name);
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const out: TargetCheck[] = [];
  const ratio = (name: string, min: number, label: string) => {
    const f = s(name);
    const target = `${label} ≥ ${pct(min)} of the node-soap ceiling`;
    if (!f) return out.push({ target, measured: 'not run', met: null });
    out.push({
      target,
      measured: `${pct(f.ratioToSoapEcho)} (${f.targets.service.rps} vs ${f.targets.soapEcho.rps} req/s)`,
      met: f.ratioToSoapEcho >= min,
    });
  };
  // The embedded database has no server to wait for: its target is the higher one.
  ratio('getLead', r.engine === 'postgres' ? 0.7 : 0.85, 'getLead by email');
  ratio('syncLeadNoChange', 0.5, 'syncLead that changes nothing');
  ratio('syncLeadUnsubscribe', 0.35, 'unsubscribe propagated to 10 people');
  const oneClick = s('oneClick');
  out.push({
    target: 'one-click unsubscribe POST ≥ 35% of bare Express',
    measured: oneClick
      ? `${pct(oneClick.ratioToBare)} (${oneClick.targets.service.rps} vs ${oneClick.targets.bare.rps} req/s)`
      : 'not run',
    met: oneClick ? oneClick.ratioToBare >= 0.35 : null,
  });
  const multi = s('syncMultipleLeads');
  out.push({
    target: 'syncMultipleLeads ≥ 20,000 leads/s',
    measured: multi ? `${multi.leadsPerSecond} leads/s` : 'not run',
    met: multi ? (multi.leadsPerSecond ?? 0) >= 20000 : null,
  });
  // Curves measured only part of the way (quick mode) are reported, not judged.
  const sharing = r.scaling.unsubscribeBySharing;
  const one = sharing.find((p) => p.x === 1);
  const big = sharing.find((p) => p.x === 10000) ?? sharing.at(-1);
  const factor = one && big ? big.ms / one.ms : NaN;
  out.push({
    target: 'unsubscribe reaching 10,000 people < 50× the time of 1',
    measured:
      one && big
        ? `${round(factor, 1)}× (${big.ms} ms at ${big.x} vs ${one.ms} ms at 1)`
        : 'not run',
    met: big?.x === 10000 ? factor < 50 : null,
  });
  const hist = r.scaling.pageByHistory;
  const h100 = hist.find((p) => p.x === 100);
  const hMax = hist.find((p) => p.x === 100000) ?? hist.at(-1);
  const growth = h100 && hMax ? hMax.ms / h100.ms : NaN;
  out.push({
    target: 'getLeadActivity page within 2× from 100 to 100,000 activities',
    measured:
      h100 && hMax
        ? `${round(growth, 2)}× (${hMax.ms} ms at ${hMax.x} vs ${h100.ms} ms at 100)`
        : 'not run',
    met: hMax?.x === 100000 ? growth <= 2 : null,
  });
  const loop = r.eventLoop;
  out.push({
    target: 'event-loop delay p99 under mixed load (getLead, syncLead) ≤ 20 ms',
    measured: loop
      ? `${loop.mixedLoad.p99Ms} ms (max ${loop.mixedLoad.maxMs} ms, ${loop.mixedLoad.requests} calls; ` +
        `the gauge's p99 ${loop.mixedLoad.gauge.p99Ms} ms less its ${EVENT_LOOP_SAMPLE_MS} ms sampling period)`
      : 'not run',
    met: loop ? loop.mixedLoad.p99Ms <= 20 : null,
  });
  const busy = loop?.healthzWhileBusy;
  out.push({
    target: '/healthz p99 ≤ 20 ms while the SQLite database is busy for 2 s (writes waiting)',
    measured: busy
      ? `${busy.p99Ms} ms (max ${busy.maxMs} ms, ${busy.samples} calls, writes ${busy.writesOk ? 'succeeded after' : `FAILED: ${busy.writeFailures.join('; ')}`})`
      : 'not run (PostgreSQL: its driver never holds the event loop)',
    met: busy ? busy.p99Ms <= 20 && busy.writesOk : null,
  });
  out.push({
    target: 'peak RSS under load ≤ 256 MiB',
    measured: `${r.peakRssUnderLoadMiB} MiB`,
    met: r.peakRssUnderLoadMiB <= 256,
  });
  return out;
}
