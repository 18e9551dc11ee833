/** What a benchmark run reports: the settings it ran with and the figures it measured. */
import type { EventLoopFigures } from './event-loop.js';
import type { LoadFigures, LoadSettings } from './load.js';

export interface Sizes {
  load: LoadSettings;
  warmupSeconds: number;
  repeats: number;
  getPool: number;
  unsubAddresses: number;
  /** People per address in the unsubscribe scenario: 1 set directly, the others follow. */
  unsubPeople: number;
  multiBlocks: number;
  activityLeadHistory: number;
  sharing: number[];
  sharingRepeats: number;
  historyCounts: number[];
  tableGrowth: number[];
  pageSamples: number;
}

export type TargetName = 'bare' | 'soapEcho' | 'service';

export interface ScenarioFigures {
  name: string;
  title: string;
  operation: string;
  /** Records per call (syncMultipleLeads), else 1. */
  recordsPerCall: number;
  requestBytes: number;
  responseBytes: number;
  /** Median over the repeats, per target; `runs` keeps every repeat. */
  targets: Record<TargetName, LoadFigures & { runs: LoadFigures[] }>;
  ratioToSoapEcho: number;
  ratioToBare: number;
  /** syncMultipleLeads: leads per second through the service. */
  leadsPerSecond?: number;
  /** The service's memory after this scenario: peak RSS so far, and V8's heap then. */
  memory?: { peakRssMiB: number; rssMiB: number; heapTotalMiB?: number; heapUsedMiB?: number };
}

export interface ScalingPoint {
  x: number;
  ms: number;
  extra?: Record<string, number>;
}

export interface EngineReport {
  engine: string;
  /** Processes the service ran (WORKERS), and so each ceiling: the ratios compare like with like. */
  processes: number;
  scenarios: ScenarioFigures[];
  peakRssUnderLoadMiB: number;
  peakRssOverallMiB: number;
  seedingLeadsPerSecond: number;
  scaling: {
    unsubscribeBySharing: ScalingPoint[];
    resubscribeBySharing: ScalingPoint[];
    pageByHistory: ScalingPoint[];
    pageByDepth: ScalingPoint[];
    pageByTableSize: ScalingPoint[];
  };
  /** The service's event loop under mixed load and while the database is busy. */
  eventLoop?: EventLoopFigures;
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run (quick mode stops the curves short). */
  met: boolean | null;
}

export interface BenchReport {
  command: string;
  quick: boolean;
  startedAt: string;
  seconds: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    node: string;
    postgres?: string;
  };
  settings: Sizes;
  engines: EngineReport[];
}

export const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
