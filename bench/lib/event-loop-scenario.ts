/**
 * The event-loop scenario: getLead and syncLead driven together while the service's own delay
 * gauges are read, then (SQLite) /healthz while the database is held busy for 2 s.
 */
import type { Database } from '../../src/data-access/database.js';
import type { ServiceProcess } from '../../test/support/service-process.js';
import {
  delayUnderLoad,
  healthzWhileBusy,
  settledCalls,
  type EventLoopFigures,
} from './event-loop.js';
import type { Sizes } from './figures.js';
import { drive } from './load.js';
import { metricsUrlOf } from './measure.js';
import type { Scenario } from './scenarios.js';
import { envelope, post, syncLead } from './soap.js';

export async function measureEventLoop(
  service: ServiceProcess,
  scenarios: readonly Scenario[],
  sizes: Sizes,
  seedDb: Database,
  engineName: string,
): Promise<EventLoopFigures> {
  const url = service.url;
  // --- The event loop: mixed load, then the database busy for 2 s ------------------------
  const mixed = scenarios.filter((s) =>
    ['getLead', 'syncLeadNoChange', 'syncLeadUnsubscribe'].includes(s.name),
  );
  // The scenarios' connections shared among the three (4 + 3 + 3 of 10): one user may hold
  // only so many calls at once (CONCURRENCY_LIMIT), as the legacy API allowed 10.
  const share = (i: number) =>
    Math.floor(sizes.load.connections / mixed.length) +
    (i < sizes.load.connections % mixed.length ? 1 : 0);
  const mixedLoad = await delayUnderLoad(
    metricsUrlOf(service),
    mixed.map(
      (s, i) => () => drive(url, s.operation, s.bodies(), { ...sizes.load, connections: share(i) }),
    ),
  );
  let busyWrite = 0;
  const unsubscribeOne = async () => {
    const answer = await post(
      url,
      'syncLead',
      envelope(
        syncLead({ email: `busy-${busyWrite++}@bench.example`, attrs: { Unsubscribed: 'true' } }),
      ),
    );
    if (answer.status === 200) return null;
    const fault = /<faultstring>([^<]*)<\/faultstring>/.exec(answer.body)?.[1] ?? '';
    return `${answer.status} ${fault || answer.body.slice(0, 120)}`.trim();
  };
  if (engineName !== 'sqlite') return { mixedLoad, healthzWhileBusy: null };
  // The held lock would keep the calls the mixed load abandoned in flight for the whole hold,
  // each holding one of the bench user's places under CONCURRENCY_LIMIT: the four writes
  // would share those places with them, where this stage is about the busy database alone.
  await settledCalls(metricsUrlOf(service));
  return {
    mixedLoad,
    healthzWhileBusy: await healthzWhileBusy(service.base, seedDb, 2000, unsubscribeOne),
  };
}
