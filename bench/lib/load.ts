/** The load generator: autocannon, the same settings for every target. */
import fs from 'node:fs';
import { childrenOf } from '../../test/support/proc.js';
import autocannon from 'autocannon';
import { MKTOWS } from './soap.js';

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
}

export interface LoadFigures {
  /** Successful (2xx) answers per second. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Connection errors, timeouts and non-2xx answers: any of these makes the run invalid. */
  failures: number;
  /** CPU time of the target process per answer (µs), and its share of one core. */
  cpuMicrosPerRequest?: number;
  cpuShare?: number;
}

export interface FormRequests {
  contentType: string;
  paths: () => string;
}

// Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux).
const TICKS = 100;

/**
 * User + system CPU seconds so far of a process and its children (a service or ceiling of
 * several worker processes counts them all), or null where /proc is missing.
 */
export function cpuSeconds(pid: number): number | null {
  const own = processCpuSeconds(pid);
  if (own === null) return null;
  return childrenOf(pid).reduce((sum, child) => sum + (processCpuSeconds(child) ?? 0), own);
}

function processCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/**
 * Drives `url` for the set duration; every request takes the next body of `bodies` (a shared
 * rotation, so concurrent connections never send the same write at once).
 */
export async function drive(
  url: string,
  operation: string,
  bodies: () => string,
  settings: LoadSettings,
  pid?: number,
  /** A plain form POST instead of SOAP: its media type and each request's path. */
  form?: FormRequests,
): Promise<LoadFigures> {
  const cpuBefore = pid ? cpuSeconds(pid) : null;
  const result = await autocannon({
    url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    pipelining: 1,
    method: 'POST',
    headers: form
      ? { 'content-type': form.contentType }
      : { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${MKTOWS}${operation}"` },
    requests: [
      {
        setupRequest: (req) =>
          form ? { ...req, path: form.paths(), body: bodies() } : { ...req, body: bodies() },
      },
    ],
  });
  const ok = result['2xx'];
  const cpuAfter = pid ? cpuSeconds(pid) : null;
  const figures: LoadFigures = {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: ok,
    failures: result.errors + result.timeouts + result.non2xx,
  };
  if (cpuBefore !== null && cpuAfter !== null && ok > 0) {
    figures.cpuMicrosPerRequest = Math.round(((cpuAfter - cpuBefore) / ok) * 1e6);
    figures.cpuShare = Math.round(((cpuAfter - cpuBefore) / result.duration) * 100) / 100;
  }
  return figures;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
